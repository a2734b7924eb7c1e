#!/usr/bin/env bash
# ci/package builds the .deb and the .tar.gz; the .tar.gz installed into a temporary prefix runs
# (`kubedouble version`, `completion bash`, the built-in suites found beside it), and the .deb
# holds the expected files. Then a library-only build installs libraries and headers only.
#   package_test.sh SOURCE_DIR WORK_DIR
# The packages are built where ci/package builds them (SOURCE_DIR/build-package, beside build/:
# with ccache, the same depth gives the same compiler command lines, so build/'s objects hit).
set -euo pipefail
src=$1 work=$2
rm -rf "$work" && mkdir -p "$work"
cd "$src"
ci/package
deb=$(ls build-package/kubedouble_*.deb)
tgz=$(ls build-package/kubedouble-*.tar.gz)

prefix=$work/prefix
mkdir -p "$prefix"
tar -xzf "$tgz" -C "$prefix" --strip-components=1
"$prefix/bin/kubedouble" version | grep -q "^kubedouble " || { echo "FAIL: kubedouble version"; exit 1; }
"$prefix/bin/kubedouble" completion bash | grep -q "complete -o default -F _kubedouble kubedouble" \
  || { echo "FAIL: completion bash"; exit 1; }
# The installed binary finds the suites installed beside it, not the source tree's.
n=$(cd / && "$prefix/bin/kubedouble" run --list | tail -1)
[[ $n == *scenarios ]] || { echo "FAIL: run --list from the prefix: $n"; exit 1; }

listing=$(dpkg-deb -c "$deb" | awk '{print $6}')
for want in ./usr/bin/kubedouble ./usr/share/kubedouble/suites/tls.yaml \
  ./usr/share/kubedouble/suite.schema.json ./usr/share/kubedouble/clients/python/driver.py \
  ./usr/share/man/man1/kubedouble.1 ./usr/share/bash-completion/completions/kubedouble \
  ./usr/share/zsh/vendor-completions/_kubedouble \
  ./usr/share/fish/vendor_completions.d/kubedouble.fish \
  ./usr/include/kubedouble/fakeserver/server.h ./usr/include/kubedouble/accesslib/config.h; do
  grep -qx -- "$want" <<<"$listing" || { echo "FAIL: $want is not in $deb"; exit 1; }
done
grep -q "libkubedouble_fakeserver.a$" <<<"$listing" || { echo "FAIL: no libraries in $deb"; exit 1; }
grep -q "cmake/kubedouble/kubedoubleConfig.cmake$" <<<"$listing" || { echo "FAIL: no CMake package"; exit 1; }
dpkg-deb -f "$deb" Depends | grep -q libssl3 || { echo "FAIL: Depends lacks libssl3"; exit 1; }

# Library-only: the libraries, headers and CMake package install; no command. (build-libonly/
# beside build/, for the same ccache reason.)
cmake -S "$src" -B build-libonly -DKUBEDOUBLE_LIBRARY_ONLY=ON -DKUBEDOUBLE_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build build-libonly -j"$(nproc)" >/dev/null
cmake --install build-libonly --prefix "$work/libonly" >/dev/null
[[ ! -e $work/libonly/bin/kubedouble ]] || { echo "FAIL: the library-only build installed the command"; exit 1; }
ls "$work"/libonly/lib*/libkubedouble_fakeserver.a "$work"/libonly/lib*/cmake/kubedouble/kubedoubleConfig.cmake \
  "$work/libonly/include/kubedouble/accesslib/client.h" >/dev/null \
  || { echo "FAIL: the library-only install lacks libraries, headers or the CMake package"; exit 1; }
echo "package_test: ok ($(basename "$deb"), $(basename "$tgz"), $(wc -l <<<"$listing") entries)"
rm -rf "$work"
