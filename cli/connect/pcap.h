/*
 * --pcap FILE: the session as a pcapng capture. The bytes each connection
 * sent and received (the library's raw callback) go into synthesised
 * TCP/IP frames, with a SYN/SYN-ACK/ACK before them and FINs after, and
 * the TLS secrets into a Decryption Secrets Block ahead of the frames, so
 * that Wireshark and tshark decrypt the file alone. Kept in memory and
 * written at the end, whole, as a secret file (tp_file_write).
 */
#ifndef TLSPROBE_CLI_PCAP_H
#define TLSPROBE_CLI_PCAP_H

#include "tlsprobe.h"

/* Before the configuration is made: where the secrets will be logged if
 * no key log was asked for (a private temporary file). 0, or -1 with the
 * error reported. */
int pcap_begin(const char *path);
/* The key log the capture reads its secrets from, when the user gave
 * none; NULL without --pcap. */
const char *pcap_keylog_path(void);
/* Registers the raw callback on cfg. */
void pcap_attach(struct tp_config *cfg);
/* Writes the file: the secrets of user_keylog (or of the temporary key
 * log, then removed) and the frames. 0, or -1 with the error reported. */
int pcap_end(const char *user_keylog);

#endif
