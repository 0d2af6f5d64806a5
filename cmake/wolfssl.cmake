# wolfSSL, built from Debian's source package (fetched by scripts/setup)
# with the features a TLS diagnostic tool needs. Debian's own libwolfssl
# lacks HAVE_SECURE_RENEGOTIATION, so it cannot renegotiate at all.
#
# Produces the imported target tlsprobe::wolfssl.

set(TLSPROBE_WOLFSSL_SRC "${CMAKE_SOURCE_DIR}/.deps/wolfssl-5.5.4"
    CACHE PATH "wolfSSL source tree (scripts/setup fetches it)")

if(TLSPROBE_SYSTEM_WOLFSSL)
  find_package(Threads REQUIRED)
  find_path(WOLFSSL_INCLUDE_DIR wolfssl/options.h)
  find_library(WOLFSSL_LIBRARY wolfssl)
  if(NOT WOLFSSL_INCLUDE_DIR OR NOT WOLFSSL_LIBRARY)
    message(FATAL_ERROR "TLSPROBE_SYSTEM_WOLFSSL: no wolfSSL found (wolfssl/options.h, libwolfssl)")
  endif()
  file(STRINGS "${WOLFSSL_INCLUDE_DIR}/wolfssl/options.h" _reneg
       REGEX "^#define HAVE_SECURE_RENEGOTIATION")
  if(NOT _reneg)
    message(FATAL_ERROR "TLSPROBE_SYSTEM_WOLFSSL: ${WOLFSSL_INCLUDE_DIR}/wolfssl/options.h lacks HAVE_SECURE_RENEGOTIATION, so it cannot renegotiate; build without -DTLSPROBE_SYSTEM_WOLFSSL=ON")
  endif()
  add_library(tlsprobe::wolfssl UNKNOWN IMPORTED)
  set_target_properties(tlsprobe::wolfssl PROPERTIES
    IMPORTED_LOCATION "${WOLFSSL_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${WOLFSSL_INCLUDE_DIR}"
    INTERFACE_COMPILE_DEFINITIONS "WOLFSSL_USE_OPTIONS_H"
    INTERFACE_LINK_LIBRARIES "Threads::Threads;m")
  return()
endif()

if(NOT EXISTS "${TLSPROBE_WOLFSSL_SRC}/CMakeLists.txt")
  message(FATAL_ERROR "wolfSSL sources not found in ${TLSPROBE_WOLFSSL_SRC}: run scripts/setup first")
endif()

include(ExternalProject)

# wolfSSL 5.5.4's CMake has no switch for these; it copies -D flags from
# CMAKE_C_FLAGS into its generated options.h, so headers and library agree.
set(_wolf_defines
  -DHAVE_SECURE_RENEGOTIATION -DHAVE_SERVER_RENEGOTIATION_INFO
  -DHAVE_SECRET_CALLBACK
  -DKEEP_PEER_CERT -DSESSION_CERTS
  -DWOLFSSL_ALWAYS_VERIFY_CB -DWOLFSSL_VERIFY_CB_ALL_CERTS
  -DWOLFSSL_ALLOW_TLSV10
  -DWOLFSSL_ALT_NAMES -DHAVE_EX_DATA
  # Verify the peer's path, not every certificate it sends: an extra CA or
  # a cross-sign to an untrusted or expired root (ISRG X1 / DST X3) is
  # skipped, as OpenSSL and GnuTLS do (patches 0003, 0004; lib/info.c).
  -DWOLFSSL_ALT_CERT_CHAINS
  -DHAVE_FFDHE_3072 -DHAVE_FFDHE_4096)
# Single-precision math with x86_64 assembly for RSA, DH and ECC (P-256):
# faster handshakes. 5.5.4's CMake only picks the sources (sp_x86_64.c,
# sp_x86_64_asm.S) from WOLFSSL_SP*; the defines that enable the code must
# come from us, into options.h like the ones above and, because CMake does
# not hand CMAKE_C_FLAGS to the assembler, into CMAKE_ASM_FLAGS as well
# (without WOLFSSL_SP_X86_64_ASM the .S assembles to nothing). The BMI2/ADX
# variants inside are chosen at run time from CPUID.
# Elsewhere wolfSSL builds its portable C code (slower, same features).
set(_wolf_x86_args "")
set(_wolf_isa_flags "")
if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
  list(APPEND _wolf_defines -DWOLFSSL_AESNI
    -DWOLFSSL_HAVE_SP_ECC -DWOLFSSL_HAVE_SP_RSA -DWOLFSSL_HAVE_SP_DH
    -DWOLFSSL_SP_ASM -DWOLFSSL_SP_X86_64_ASM -DWOLFSSL_SP_X86_64)
  set(_wolf_x86_args
    -DWOLFSSL_SP=yes -DWOLFSSL_SP_ASM=yes -DWOLFSSL_SP_X86_64_ASM=yes
    -DWOLFSSL_AESNI=yes)
  # Needed to compile the AES-NI code; not copied into options.h (no -D).
  set(_wolf_isa_flags "-maes -msse4.2 -mpclmul")
  # AES-GCM with AVX1/AVX2 (aes.c picks them at run time from CPUID, else
  # plain AES-NI): about 12 % more raw speed, 5 % more download speed.
  list(APPEND _wolf_defines -DHAVE_INTEL_AVX1 -DHAVE_INTEL_AVX2)
  # wolfSSL's other x86_64 assembly: ChaCha20, Poly1305, SHA-2 and X25519
  # (AVX/AVX2/BMI2, chosen at run time from CPUID). 5.5.4's CMake builds
  # those .S files only when BUILD_INTELASM is set, which no option sets.
  # ChaCha20-Poly1305 goes from 0.3 to 1.3 GB/s raw, a ChaCha download from
  # ~290 to ~900 MB/s. SHA-3 is left out: with USE_INTEL_SPEEDUP its C code
  # calls sha3_asm.S, which that CMake never builds, and TLS does not use
  # SHA-3.
  list(APPEND _wolf_defines -DUSE_INTEL_SPEEDUP)
  list(APPEND _wolf_x86_args -DBUILD_INTELASM=yes -DWOLFSSL_SHA3=no)
endif()
string(REPLACE ";" " " _wolf_defines "${_wolf_defines}")
set(_wolf_cflags "${_wolf_defines} ${_wolf_isa_flags} -Wno-error -O2")

# Our fixes to wolfSSL: cmake/patches/*.patch (patch -p1 against the source
# root), applied in file-name order to a copy of the fetched tree by
# wolfssl-patch.cmake. A digest of the patch set is a dependency of the patch
# step, so adding, removing or editing a patch re-patches a fresh copy and
# rebuilds wolfSSL; the glob and the files re-run CMake when they change.
file(GLOB _wolf_patches CONFIGURE_DEPENDS "${CMAKE_CURRENT_LIST_DIR}/patches/*.patch")
list(SORT _wolf_patches)
# ExternalProject splits commands at ';': pass the list with '|' instead
# (LIST_SEPARATOR below turns it back).
string(REPLACE ";" "|" _wolf_patch_args "${_wolf_patches}")
set(_wolf_patch_script "${CMAKE_CURRENT_LIST_DIR}/wolfssl-patch.cmake")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
  ${_wolf_patches} "${_wolf_patch_script}")
set(_wolf_patch_digest "")
foreach(_p IN LISTS _wolf_patches ITEMS "${_wolf_patch_script}")
  file(SHA256 "${_p}" _h)
  get_filename_component(_n "${_p}" NAME)
  string(APPEND _wolf_patch_digest "${_h}  ${_n}\n")
endforeach()
set(_wolf_patch_stamp "${CMAKE_BINARY_DIR}/wolfssl-patches.sha256")
# Rewritten only on change: its time stamp is what triggers the patch step.
file(CONFIGURE OUTPUT "${_wolf_patch_stamp}" CONTENT "${_wolf_patch_digest}")

set(_wolf_prefix "${CMAKE_BINARY_DIR}/wolfssl")
set(_wolf_lib "${_wolf_prefix}/lib/libwolfssl.a")
file(MAKE_DIRECTORY "${_wolf_prefix}/include")

ExternalProject_Add(wolfssl_build
  SOURCE_DIR "${CMAKE_BINARY_DIR}/wolfssl-src"
  DOWNLOAD_COMMAND ""
  LIST_SEPARATOR |
  PATCH_COMMAND "${CMAKE_COMMAND}"
    "-DPRISTINE=${TLSPROBE_WOLFSSL_SRC}" "-DSRC=<SOURCE_DIR>" "-DOBJ=<BINARY_DIR>"
    "-DPATCHES=${_wolf_patch_args}" -P "${_wolf_patch_script}"
  BINARY_DIR "${CMAKE_BINARY_DIR}/wolfssl-build"
  INSTALL_DIR "${_wolf_prefix}"
  CMAKE_ARGS
    -DCMAKE_INSTALL_PREFIX=<INSTALL_DIR>
    -DCMAKE_INSTALL_LIBDIR=lib
    -DCMAKE_BUILD_TYPE=Release
    -DCMAKE_C_COMPILER=${CMAKE_C_COMPILER}
    -DCMAKE_POSITION_INDEPENDENT_CODE=ON
    -DBUILD_SHARED_LIBS=OFF
    -DWOLFSSL_BUILD_OUT_OF_TREE=yes
    -DWOLFSSL_EXAMPLES=no -DWOLFSSL_CRYPT_TESTS=no
    -DWOLFSSL_TLS13=yes -DWOLFSSL_POSTAUTH=yes -DWOLFSSL_OLD_TLS=yes
    -DWOLFSSL_TLSX=yes -DWOLFSSL_SNI=yes -DWOLFSSL_SESSION_TICKET=yes
    -DWOLFSSL_OCSP=yes -DWOLFSSL_OCSPSTAPLING=yes -DWOLFSSL_CRL=yes
    -DWOLFSSL_OPENSSLEXTRA=yes -DWOLFSSL_EXTENDED_MASTER=yes
    -DWOLFSSL_CERTGEN=yes -DWOLFSSL_KEYGEN=yes -DWOLFSSL_CERTEXT=yes
    -DWOLFSSL_CURVE25519=yes -DWOLFSSL_ED25519=yes
    -DWOLFSSL_CHACHA=yes -DWOLFSSL_POLY1305=yes
    -DWOLFSSL_HARDEN=yes
    ${_wolf_x86_args}
    -DCMAKE_C_FLAGS=${_wolf_cflags}
    -DCMAKE_ASM_FLAGS=${_wolf_defines}
  BUILD_BYPRODUCTS "${_wolf_lib}"
  UPDATE_COMMAND ""
  LOG_CONFIGURE ON LOG_BUILD ON LOG_INSTALL ON LOG_OUTPUT_ON_FAILURE ON)

find_package(Threads REQUIRED)
add_library(tlsprobe::wolfssl STATIC IMPORTED GLOBAL)
set_target_properties(tlsprobe::wolfssl PROPERTIES
  IMPORTED_LOCATION "${_wolf_lib}"
  INTERFACE_INCLUDE_DIRECTORIES "${_wolf_prefix}/include"
  INTERFACE_COMPILE_DEFINITIONS "WOLFSSL_USE_OPTIONS_H"
  INTERFACE_LINK_LIBRARIES "Threads::Threads;m")
add_dependencies(tlsprobe::wolfssl wolfssl_build)
ExternalProject_Add_StepDependencies(wolfssl_build patch "${_wolf_patch_stamp}")
