// `kubedouble completion bash|zsh|fish`: the scripts complete the real command tree.
#include <gtest/gtest.h>

#include "distribution/facts.h"

namespace kubedouble::test {
namespace {

// What bash offers for the words `line` (the last word is the one being completed).
std::string BashComplete(const std::string& line) {
  std::string script = "source <(" + ShellQuote(kBinary) + " completion bash) && COMP_WORDS=(" +
                       line + ") && COMP_CWORD=$((${#COMP_WORDS[@]} - 1)) && _kubedouble && " +
                       "echo \"${COMPREPLY[*]}\"";
  ShellResult r = Bash(script);
  EXPECT_EQ(r.code, 0) << r.output;
  return r.output.substr(0, r.output.find('\n'));
}

TEST(Completion, BashCompletesSubcommandsAndTheirOptions) {
  EXPECT_EQ(BashComplete("kubedouble cer"), "certs");
  EXPECT_EQ(BashComplete("kubedouble certs i"), "init issue inspect");
  EXPECT_EQ(BashComplete("kubedouble serve --fre"), "--fresh-pki");
  EXPECT_EQ(BashComplete("kubedouble run --sh"), "--shard");
  // The client commands add their options only when chosen; completion lists them anyway.
  EXPECT_EQ(BashComplete("kubedouble get --kubec"), "--kubeconfig");
  // After an option that takes a value, nothing: bash falls back to file names.
  EXPECT_EQ(BashComplete("kubedouble serve --dir ''"), "");
}

TEST(Completion, EveryTopLevelSubcommandIsOffered) {
  std::set<std::string> offered = Words(BashComplete("kubedouble ''"));
  size_t n = 0;
  for (const auto& name : TopLevelSubcommands()) {
    EXPECT_TRUE(offered.count(name)) << name;
    n++;
  }
  EXPECT_GE(n, 10u);
}

TEST(Completion, FishCompletesTheSameTree) {
  if (Bash("command -v fish").code != 0) GTEST_SKIP() << "fish is not installed (ci/setup)";
  ShellResult r = Bash("fish -c " + ShellQuote("source (" + ShellQuote(kBinary) +
                                               " completion fish | psub); complete -C "
                                               "'kubedouble certs issue --ex'; complete -C "
                                               "'kubedouble cer'"));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("--expired\tAlready expired"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("certs\tMint and inspect the PKI"), std::string::npos) << r.output;
}

// zsh's completion system is interactive; its two functions the script calls are replaced by
// ones that print what they were given, and the script's own logic runs as zsh runs it.
std::string ZshComplete(const std::string& words, int current) {
  std::string script = "compdef() { :; }; _describe() { print -rl -- \"${(@P)4}\"; }; " +
                       std::string("_files() { print FILES; }; source <(") + ShellQuote(kBinary) +
                       " completion zsh); words=(" + words +
                       "); CURRENT=" + std::to_string(current) + "; _kubedouble";
  ShellResult r = Bash("zsh -f -c " + ShellQuote(script));
  EXPECT_EQ(r.code, 0) << r.output;
  return r.output;
}

TEST(Completion, ZshCompletesTheSameTree) {
  if (Bash("command -v zsh").code != 0) GTEST_SKIP() << "zsh is not installed (ci/setup)";
  std::string certs = ZshComplete("kubedouble certs ''", 3);
  EXPECT_NE(certs.find("init:Write a PKI bundle"), std::string::npos) << certs;
  EXPECT_NE(certs.find("inspect:"), std::string::npos) << certs;
  std::string serve = ZshComplete("kubedouble serve ''", 3);
  EXPECT_NE(serve.find("--fresh-pki:Mint a new PKI"), std::string::npos) << serve;
  EXPECT_EQ(ZshComplete("kubedouble serve --dir ''", 4), "FILES\n");
}

TEST(Completion, UnknownShellIsAUsageError) {
  ShellResult r = Bash(ShellQuote(kBinary) + " completion tcsh");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("tcsh"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace kubedouble::test
