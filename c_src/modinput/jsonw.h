/*
 * jsonw: one transaction as one compact JSON object (no parsing here).
 *
 * Hand-written rather than through jansson because it runs once per
 * transaction at the parser's full speed and needs no tree.  Strings are
 * written as valid UTF-8 JSON whatever the log bytes are: '"', '\' and
 * control characters are escaped, valid UTF-8 sequences pass through, and
 * every byte that is not part of a valid sequence becomes U+FFFD.
 *
 * Fields (see README/inputs.conf.spec for the sourcetype):
 *   time (epoch seconds, up to 6 decimals), src, src_port (extra mode),
 *   transport ("udp"/"tcp", log-queries=proto only),
 *   query, query_type, record_type (both the queried type; type=N becomes
 *   TYPEN), answer (array), answer_count, cname (array), reply_code and
 *   reply_code_id, answer_source, dest, dest_port (only when the upstream
 *   was logged with "#port"), serial (extra mode), duplicate_of, ede,
 *   action ("blocked" when Pi-hole answered with a block, "allowed" when
 *   any other answer was logged, absent for an unanswered query),
 *   blocked_by (gravity|regex|exact|special|upstream|cname|ratelimit|busy)
 *   and blocked_reason (FTL's text as logged) for a blocked one,
 *   confidence ("exact" in extra and proto mode, "heuristic" in plain
 *   mode), vendor_product "dnsmasq".  A blocked answer's addresses (0.0.0.0,
 *   ::) stay in answer as logged.
 *
 * reply_code convention: CIM's descriptions ("No Error", "Non-Existent
 * Domain", "Server Failure", "Refused", "NotImp", ...) in reply_code and the
 * numeric DNS rcode in reply_code_id; both are absent when no answer was
 * logged (an unanswered or timed-out query).
 */
#ifndef JSONW_H
#define JSONW_H

#include "modinput/txn.h"
#include "util/buf.h"
#include "util/slice.h"

/* Append a JSON string literal (with quotes) for s. */
int jsonw_str(struct buf *b, struct slice s) WARN_UNUSED;

/* Append the event object for ev (no newline).  0, ERR_LIMIT, ERR_NOMEM. */
int jsonw_txn(struct buf *b, const struct txn_ev *ev) WARN_UNUSED;

/* CIM description for a DNS rcode ("No Error", ...); "Unknown" otherwise. */
const char *jsonw_rcode_name(int rcode);

#endif
