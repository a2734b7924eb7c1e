// docs/kubedouble.1: renders without warnings and has a section for every subcommand.
#include <gtest/gtest.h>

#include <fstream>

#include "distribution/facts.h"

namespace kubedouble::test {
namespace {

TEST(ManPage, DescribesEverySubcommand) {
  std::ifstream in(kSource + "/docs/kubedouble.1");
  std::stringstream page;
  page << in.rdbuf();
  std::vector<std::string> names = TopLevelSubcommands();
  EXPECT_GE(names.size(), 10u);
  for (const auto& name : names)
    EXPECT_NE(page.str().find("\n.SS " + name + "\n"), std::string::npos)
        << "docs/kubedouble.1 has no section for `kubedouble " << name << "`";
}

TEST(ManPage, RendersWithoutWarnings) {
  if (Bash("command -v groff").code != 0) GTEST_SKIP() << "groff is not installed";
  ShellResult r = Bash("groff -man -ww -z " + kSource + "/docs/kubedouble.1");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output, "");
}

}  // namespace
}  // namespace kubedouble::test
