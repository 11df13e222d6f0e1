/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Internet checksum helpers: full IPv4 header sum and incremental updates (RFC 1624). */
#ifndef XLB_BPF_CSUM_H
#define XLB_BPF_CSUM_H

static __always_inline __u16 csum_fold(__u64 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* Checksum of a 20-byte IPv4 header whose check field is zero. */
static __always_inline __u16 csum_ipv4_header(const struct iphdr *ip)
{
	const __u16 *w = (const __u16 *)ip;
	__u64 sum = 0;

#pragma unroll
	for (int i = 0; i < (int)sizeof(*ip) / 2; i++)
		sum += w[i];
	return csum_fold(sum);
}

/*
 * @check after the bytes @from (stack copy) became @to; both @size bytes, a
 * multiple of 4. Works on raw network-order values, like the field itself.
 */
static __always_inline __u16 csum_replace(__u16 check, __u32 *from, __u32 *to, __u32 size)
{
	__s64 sum = bpf_csum_diff(from, size, to, size, (__u16)~check);

	return csum_fold((__u64)sum);
}

#endif /* XLB_BPF_CSUM_H */
