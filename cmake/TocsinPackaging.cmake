# Installation layout of everything that is not a library or the SDK, and the Debian package.
#
#   cmake --preset default && cmake --build --preset default
#   (cd build/default && cpack -G DEB)          # -> build/default/tocsin_<version>-1_<arch>.deb
#
# The package is laid out for the prefix /usr (the top-level CMakeLists.txt makes it the default):
# /usr/bin/tocsin, /usr/lib/tocsin/plugins, /etc/tocsin, /lib/systemd/system, /usr/share/tocsin.
# packaging/debian holds the maintainer scripts; tests/packaging/deb_test.sh installs, upgrades and
# purges the package on the machine it runs on.

set(_packaging_dir ${PROJECT_SOURCE_DIR}/packaging)

# /etc and /lib/systemd/system sit outside /usr; with any other prefix they stay under it, so a
# `cmake --install --prefix DIR` never writes to the system.
# Not cached: it must follow a prefix changed after the first configure.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
    set(TOCSIN_INSTALL_UNITDIR /lib/systemd/system)
else()
    set(TOCSIN_INSTALL_UNITDIR lib/systemd/system)
endif()
set(_conf_dir ${CMAKE_INSTALL_FULL_SYSCONFDIR}/tocsin)

install(FILES ${PROJECT_SOURCE_DIR}/config/tocsin.yaml DESTINATION ${_conf_dir})
install(FILES ${PROJECT_SOURCE_DIR}/config/rules.d/policies.yaml DESTINATION ${_conf_dir}/rules.d)
install(FILES ${_packaging_dir}/systemd/tocsin.service DESTINATION ${TOCSIN_INSTALL_UNITDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/rules/ DESTINATION ${CMAKE_INSTALL_DATADIR}/tocsin/rules)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})

# tocsin(1), with the version filled in and gzipped as Debian wants (-n: no name or time stamp,
# so two builds give the same bytes).
set(_man ${CMAKE_CURRENT_BINARY_DIR}/packaging/man/tocsin.1)
set(TOCSIN_VERSION ${PROJECT_VERSION})
configure_file(${_packaging_dir}/man/tocsin.1 ${_man} @ONLY)
add_custom_command(OUTPUT ${_man}.gz
    COMMAND gzip -9 -n -k -f ${_man}
    DEPENDS ${_man}
    COMMENT "Compressing tocsin.1"
    VERBATIM)
add_custom_target(tocsin_man ALL DEPENDS ${_man}.gz)
install(FILES ${_man}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

# What Debian wants in /usr/share/doc/<package>: the copyright file and changelog.Debian.gz (the
# version filled in, gzipped the same way), and lintian's overrides with their reasons.
set(TOCSIN_PACKAGE_CONTACT "tocsin maintainers <tocsin-maintainers@example.org>"
    CACHE STRING "Maintainer field of the Debian package")
set(_changelog ${CMAKE_CURRENT_BINARY_DIR}/packaging/debian/changelog.Debian)
configure_file(${_packaging_dir}/debian/changelog.in ${_changelog} @ONLY)
add_custom_command(OUTPUT ${_changelog}.gz
    COMMAND gzip -9 -n -k -f ${_changelog}
    DEPENDS ${_changelog}
    COMMENT "Compressing changelog.Debian"
    VERBATIM)
add_custom_target(tocsin_changelog ALL DEPENDS ${_changelog}.gz)
install(FILES ${_changelog}.gz ${_packaging_dir}/debian/copyright
    DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${_packaging_dir}/debian/lintian-overrides
    DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides
    RENAME tocsin)

# The Debian package: one `tocsin` package holding every component (daemon, plugins, SDK).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME tocsin)
set(CPACK_PACKAGE_VENDOR tocsin)
set(CPACK_PACKAGE_CONTACT ${TOCSIN_PACKAGE_CONTACT})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "KPI alerting daemon with YAML rules and plugins")
# Lines of at most 79 characters with the leading blank, as lintian wants them.
set(CPACK_PACKAGE_DESCRIPTION
    "tocsin watches business and operational KPIs (activation, retention, churn,
revenue, job success rates) and tells the right people when one goes wrong.
Data-source plugins collect the values, rules in YAML and Lua decide,
escalation policies and quiet hours choose who is told and when, and notifier
plugins deliver to Slack, email, SMS, webhooks and more. State is in SQLite.
This package holds the daemon and CLI, the shipped plugins, the rule packs,
the systemd unit and the plugin SDK (headers and the tocsin-sdk CMake
package).")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
# A Debian revision: the package is not native (its changelog is changelog.Debian.gz).
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Library dependencies come from dpkg-shlibdeps; adduser is what postinst runs.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "sqlite3")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${_packaging_dir}/debian/postinst
    ${_packaging_dir}/debian/prerm
    ${_packaging_dir}/debian/postrm
    ${_packaging_dir}/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
if(NOT CMAKE_INSTALL_PREFIX STREQUAL "/usr")
    message(STATUS "tocsin: CMAKE_INSTALL_PREFIX is ${CMAKE_INSTALL_PREFIX}; configure with "
                   "-DCMAKE_INSTALL_PREFIX=/usr before building the Debian package")
endif()
include(CPack)
