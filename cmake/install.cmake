# `cmake --install BUILD [--prefix P]` and `cpack -G DEB`.
#
# Installed: bin/tlsprobe; the man pages (man1, man3, and a page per
# library function that sources its group's); include/tlsprobe.h;
# the static library libtlsprobe.a with the static wolfSSL it needs; a
# pkg-config file; the bats library (lib/bats/tlsprobe/load.bash, where
# Debian's bats-support and bats-assert live and where bats-core's
# bats_load_library looks by default).
#
# wolfSSL: the build's own (patched, with renegotiation) goes to
# LIBDIR/tlsprobe/libwolfssl.a, a private directory, and libtlsprobe.pc
# names that file by its path. A plain -lwolfssl could pick Debian's
# libwolfssl (without renegotiation) from the same directory; the path
# cannot. libtlsprobe is only ever static, so what it needs is in Libs,
# not Libs.private: `pkg-config --libs` without --static links as well.

include(GNUInstallDirs)

install(TARGETS tlsprobe RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS tlsprobe_lib ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES ${PROJECT_SOURCE_DIR}/lib/include/tlsprobe.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
file(GLOB _tp_man1 ${PROJECT_SOURCE_DIR}/man/*.1)
file(GLOB _tp_man3 ${PROJECT_SOURCE_DIR}/man/*.3)
install(FILES ${_tp_man1} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${_tp_man3} DESTINATION ${CMAKE_INSTALL_MANDIR}/man3)
# One page per group of functions (libtls-style): each other function a
# page's NAME lists gets a one-line page that sources it, so that
# `man tp_conn_read` finds tp_conn_new(3).
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_tp_man3})
foreach(_page ${_tp_man3})
  get_filename_component(_base ${_page} NAME_WE)
  file(STRINGS ${_page} _names REGEX "^\\.Nm tp_[a-z0-9_]+")
  foreach(_line ${_names})
    string(REGEX REPLACE "^\\.Nm (tp_[a-z0-9_]+).*" "\\1" _fn "${_line}")
    if(NOT _fn STREQUAL _base)
      file(WRITE ${CMAKE_BINARY_DIR}/man3/${_fn}.3 ".so man3/${_base}.3\n")
      install(FILES ${CMAKE_BINARY_DIR}/man3/${_fn}.3
        DESTINATION ${CMAKE_INSTALL_MANDIR}/man3)
    endif()
  endforeach()
endforeach()
# Not GNUInstallDirs' LIBDIR: bats looks in lib/bats on every architecture.
install(FILES ${PROJECT_SOURCE_DIR}/bats/tlsprobe/load.bash
  DESTINATION lib/bats/tlsprobe)

if(TLSPROBE_SYSTEM_WOLFSSL)
  set(TLSPROBE_PC_REQUIRES "Requires: wolfssl\n")
  set(TLSPROBE_PC_WOLFSSL "")
else()
  install(FILES ${_wolf_lib} DESTINATION ${CMAKE_INSTALL_LIBDIR}/tlsprobe)
  set(TLSPROBE_PC_REQUIRES "")
  set(TLSPROBE_PC_WOLFSSL "\${libdir}/tlsprobe/libwolfssl.a")
endif()
# Relocatable: the prefix is found from where the .pc file lies, so
# --prefix at install time and DESTDIR both work.
file(RELATIVE_PATH TLSPROBE_PC_UP "/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/")
string(REGEX REPLACE "/$" "" TLSPROBE_PC_UP "${TLSPROBE_PC_UP}")
configure_file(${PROJECT_SOURCE_DIR}/pkg/libtlsprobe.pc.in
  ${CMAKE_BINARY_DIR}/libtlsprobe.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/libtlsprobe.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# The Debian package: /usr, runtime dependencies from dpkg-shlibdeps
# (libc6, libreadline8). Recommended: ca-certificates, the system's
# trusted CAs that verification uses without --ca-file (without them
# nothing verifies; wget and libcurl4 recommend it too), and what the bats
# library runs (bats, jq), which the program does not need.
set(CPACK_PACKAGE_NAME tlsprobe)
set(CPACK_PACKAGE_VENDOR "tlsprobe")
set(CPACK_PACKAGE_CONTACT "tlsprobe maintainers <tlsprobe@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "TLS diagnostic client on wolfSSL")
set(CPACK_PACKAGE_DESCRIPTION
  "A command-line TLS client in the family of openssl s_client for\n\
debugging servers: verification on by default, renegotiation and\n\
KeyUpdate probes, scripted dialogues (:expect), a test server, and a\n\
bats library for regression suites. Includes libtlsprobe (static) with\n\
its own wolfSSL built with secure renegotiation.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "ca-certificates, bats, jq")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "pkg-config")
set(CPACK_STRIP_FILES bin/tlsprobe)
include(CPack)
