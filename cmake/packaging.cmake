# CPack: the .deb and .tar.gz that ci/package builds. Everything `cmake --install` installs goes
# in: the kubedouble command, the libraries, headers and CMake package files, the suites, the
# client drivers, the suite schema, the man page and the shell completions.
set(CPACK_PACKAGE_NAME kubedouble)
set(CPACK_PACKAGE_VENDOR kubedouble)
set(CPACK_PACKAGE_CONTACT "kubedouble maintainers")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Test double of the Kubernetes API server and conformance harness for its access paths")
set(CPACK_PACKAGE_DESCRIPTION
    "kubedouble serves the Kubernetes API over TLS with its own PKI, checks tokens and client\n\
certificates like kube-apiserver, and runs YAML scenario suites against kubectl, curl and\n\
the official Python and JavaScript clients.")
set(CPACK_RESOURCE_FILE_README ${PROJECT_SOURCE_DIR}/README.md)
set(CPACK_PACKAGE_FILE_NAME kubedouble-${PROJECT_VERSION}-Linux-${CMAKE_SYSTEM_PROCESSOR})
set(CPACK_STRIP_FILES ON)

# .deb: dependencies from the binary's shared libraries (dpkg-shlibdeps); the clients the
# harness drives are suggestions (kubectl is not in Debian's archive).
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Read or opened at run time, so shlibdeps cannot see them: the zones of a CronJob's
# spec.timeZone, and libarchive for tar in a simulated container (dlopen on first use).
set(CPACK_DEBIAN_PACKAGE_DEPENDS "tzdata, libarchive13")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "curl, python3-kubernetes, python3-yaml, nodejs, npm")

include(CPack)
