/*
 * sha1: the SHA-1 message digest (FIPS 180-4), for the Community ID flow
 * hash, which is defined over SHA-1.  Not for anything that needs
 * collision resistance.
 *
 * Pure: no allocation, no I/O.  On x86_64 a CPU with the SHA extensions
 * hashes with them (one flag, read from CPUID at start-up, says so);
 * elsewhere, and on older CPUs, the portable code does.
 */
#ifndef UTIL_SHA1_H
#define UTIL_SHA1_H

#include <stddef.h>
#include <stdint.h>

#define SHA1_DIGEST_LEN 20

struct sha1 {
    uint32_t h[5];
    uint64_t len;           /* bytes hashed so far */
    unsigned char blk[64];  /* the partial block */
    size_t nblk;
};

void sha1_init(struct sha1 *c);
/* Hash n more bytes of p (p may be NULL when n is 0). */
void sha1_update(struct sha1 *c, const void *p, size_t n);
/* The digest of everything hashed; c must be initialised again to reuse. */
void sha1_final(struct sha1 *c, unsigned char out[SHA1_DIGEST_LEN]);
/* One-shot digest of p[0..n). */
void sha1_digest(const void *p, size_t n, unsigned char out[SHA1_DIGEST_LEN]);

/* The compression function over nblocks 64-byte blocks of p, for the tests
 * that hold the two implementations against each other: the portable one,
 * and the hardware one, which returns 0 (and does nothing) where the CPU
 * or the build has none. */
void sha1_blocks_portable(uint32_t h[5], const unsigned char *p, size_t nblocks);
int sha1_blocks_hw(uint32_t h[5], const unsigned char *p, size_t nblocks);

#endif
