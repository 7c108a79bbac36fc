# Install rules, man pages and the Debian package (issue 10, "Install and package").
#   cmake --install build --prefix /usr/local     programs, data, man pages
#   (cd build && cpack -G DEB)                    sidearm-pipeline_<version>_<arch>.deb
# The systemd unit and /etc/default/sidearm-pipeline are in the "service" component,
# which only the package installs (its paths are absolute: /usr/lib/systemd, /etc).
include(GNUInstallDirs)

install(TARGETS pipeline gamestream-sim RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# the SQL seeds (sqlite/, mssql/) and the Drill queries (drill/), and the sample game
install(DIRECTORY sql/ DESTINATION ${CMAKE_INSTALL_DATADIR}/sidearm/sql
  FILES_MATCHING PATTERN "*.sql" PATTERN "data" EXCLUDE)
install(DIRECTORY sql/data/ DESTINATION ${CMAKE_INSTALL_DATADIR}/sidearm/data)

# pipeline(1) and gamestream-sim(1), written by the program itself (--man) from the option
# table that --help is made from, whenever the program changes: a page cannot disagree with
# --help. Installed compressed (gzip -9n: no name or time stamp, the same bytes each build),
# as Debian policy 12.1 asks; build/man/NAME.1 stays plain for `man -l`.
option(MANPAGES "Generate the man pages (PROGRAM --man)" ON)
if(MANPAGES)
  find_program(GZIP gzip REQUIRED)
  set(pages)
  foreach(prog pipeline gamestream-sim)
    set(page ${CMAKE_BINARY_DIR}/man/${prog}.1)
    add_custom_command(OUTPUT ${page} ${page}.gz
      COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
      # a sanitizer build's leak check must not fail the page
      COMMAND ${CMAKE_COMMAND} -E env ASAN_OPTIONS=detect_leaks=0 $<TARGET_FILE:${prog}> --man > ${page}
      COMMAND ${GZIP} -9nc ${page} > ${page}.gz
      DEPENDS ${prog}
      COMMENT "Generating ${prog}.1 from ${prog} --man" VERBATIM)
    list(APPEND pages ${page}.gz)
  endforeach()
  add_custom_target(manpages ALL DEPENDS ${pages})
  install(FILES ${pages} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
endif()

install(FILES packaging/sidearm-pipeline.service DESTINATION /usr/lib/systemd/system
  COMPONENT service EXCLUDE_FROM_ALL)
install(FILES packaging/sidearm-pipeline.default DESTINATION /etc/default
  RENAME sidearm-pipeline COMPONENT service EXCLUDE_FROM_ALL)
install(DIRECTORY DESTINATION /etc/sidearm/credentials
  DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE
  COMPONENT service EXCLUDE_FROM_ALL)

# What Debian policy asks of every package (lintian, in package_deb): the copyright file (the
# project's LICENSE, MIT, in the machine-readable format), the changelog (gzip'd; a native
# package's is changelog.gz) and the one lintian override, with its reason, in a component
# only the package installs.
set(PACKAGE_MAINTAINER "Sidearm maintainers <maintainers@users.noreply.b-seed-cee6f946.example>"
  CACHE STRING "Name <address> of the package's maintainer (the Maintainer field and the changelog)")
set(DEBIAN_DOC ${CMAKE_INSTALL_DATADIR}/doc/${PROJECT_NAME})
configure_file(packaging/changelog.in ${CMAKE_BINARY_DIR}/packaging/changelog @ONLY)
add_custom_command(OUTPUT ${CMAKE_BINARY_DIR}/packaging/changelog.gz
  COMMAND gzip -9nc ${CMAKE_BINARY_DIR}/packaging/changelog > ${CMAKE_BINARY_DIR}/packaging/changelog.gz
  DEPENDS ${CMAKE_BINARY_DIR}/packaging/changelog VERBATIM)
add_custom_target(debian_changelog ALL DEPENDS ${CMAKE_BINARY_DIR}/packaging/changelog.gz)
install(FILES packaging/copyright ${CMAKE_BINARY_DIR}/packaging/changelog.gz DESTINATION ${DEBIAN_DOC}
  COMPONENT debian EXCLUDE_FROM_ALL)
install(FILES packaging/lintian-overrides DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides
  RENAME ${PROJECT_NAME} COMPONENT debian EXCLUDE_FROM_ALL)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME sidearm-pipeline)
set(CPACK_PACKAGE_VENDOR "Sidearm")
set(CPACK_PACKAGE_CONTACT "${PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "live lacrosse box scores from a game stream")
set(CPACK_PACKAGE_DESCRIPTION "pipeline tails a live lacrosse game stream (a file or an S3/MinIO
object, or every game under a prefix), upserts a box-score document after
each event into files or MongoDB, and writes the teams' and players'
standings (teams2, players2) to SQLite or SQL Server once a game is final.
It serves an HTTP API, a live page for fans, Server-Sent Events and
Prometheus metrics.

The package holds pipeline, gamestream-sim (which replays a game the way
the live producer writes it), their man pages, the SQL seeds and Drill
queries, a sample game, and sidearm-pipeline.service, installed but not
enabled.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_PACKAGE_NAME sidearm-pipeline)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
# one package with everything, the service component included
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
set(CPACK_COMPONENTS_ALL Unspecified service debian)
# stripped programs (Debian policy 10.1). Not a -dbgsym package: CMake 3.25's .ddeb lists
# its files under the build's absolute paths in md5sums, which lintian refuses; the build
# tree's programs keep their symbols (RelWithDebInfo) for gdb.
set(CPACK_STRIP_FILES ON)
# the linked libraries, found by dpkg-shlibdeps; libwebsockets loads its libuv event library
# (libwebsockets-evlib-uv) at run time, which no ELF header shows
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libwebsockets-evlib-uv")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "systemd")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${PROJECT_SOURCE_DIR}/packaging/conffiles
  ${PROJECT_SOURCE_DIR}/packaging/postinst
  ${PROJECT_SOURCE_DIR}/packaging/prerm
  ${PROJECT_SOURCE_DIR}/packaging/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
