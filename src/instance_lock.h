/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * One xlbd per control socket and per pin directory. A second one would
 * re-bind the socket path (the first keeps running, unreachable) and unlink
 * it on exit, and would drive the same maps and interfaces. Both locks are
 * flock()s, so the kernel drops them when xlbd dies however it dies: there
 * is never a stale lock to clean up.
 */
#ifndef XLB_INSTANCE_LOCK_H
#define XLB_INSTANCE_LOCK_H

/*
 * Takes "@control_socket.lock" (creating the socket's directory, 0700, as
 * ctl_open() would) and writes our pid into it. Returns the fd to keep open,
 * or a negative errno after logging why (-EBUSY: another xlbd holds it).
 */
int instance_lock_socket(const char *control_socket);

/*
 * Locks the pin directory itself (bpffs holds no regular files). Call it
 * after dataplane_open() made the directory and before anything attaches or
 * writes the maps. Returns the fd to keep open, or a negative errno, logged.
 */
int instance_lock_pin_dir(const char *pin_dir);

#endif /* XLB_INSTANCE_LOCK_H */
