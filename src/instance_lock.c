// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* flock()s that keep a second xlbd off a control socket or pin directory in use. */
#include "instance_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

/* Exclusive and non-blocking: a second xlbd must fail at once, not wait. */
static int instance_flock(int fd)
{
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	return errno == EWOULDBLOCK ? -EBUSY : -errno;
}

/* The pid the holder wrote, for the message; 0 if unreadable. */
static long instance_holder(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

static void instance_mkdir_parent(const char *path)
{
	char dir[PATH_MAX];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0700); /* /run/xlb on a fresh boot; an error shows at open */
	}
}

int instance_lock_socket(const char *control_socket)
{
	char path[PATH_MAX], pid[32];
	int fd, err, len;
	long holder;

	if (snprintf(path, sizeof(path), "%s.lock", control_socket) >= (int)sizeof(path)) {
		log_error("control socket %s: path too long for its lock file", control_socket);
		return -ENAMETOOLONG;
	}
	instance_mkdir_parent(path);
	/* O_NOFOLLOW: root must not be led to truncate a file a symlink points at. */
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
		log_error("lock file %s: %s", path, strerror(-err));
		return err;
	}
	err = instance_flock(fd);
	if (err == -EBUSY) {
		holder = instance_holder(fd);
		if (holder > 0)
			log_error("another xlbd (pid %ld) runs with control socket %s (it holds %s): "
				  "stop it first, or give this one its own control_socket and "
				  "bpf_pin_dir",
				  holder, control_socket, path);
		else
			log_error("another xlbd runs with control socket %s (it holds %s): stop it "
				  "first, or give this one its own control_socket and bpf_pin_dir",
				  control_socket, path);
	} else if (err) {
		log_error("lock file %s: %s", path, strerror(-err));
	}
	if (err) {
		close(fd);
		return err;
	}
	len = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)len, 0) != len)
		log_warn("lock file %s: cannot record our pid: %s", path, strerror(errno));
	return fd;
}

int instance_lock_pin_dir(const char *pin_dir)
{
	int fd = open(pin_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int err;

	if (fd < 0) {
		err = -errno;
		log_error("bpf_pin_dir %s: %s", pin_dir, strerror(-err));
		return err;
	}
	err = instance_flock(fd);
	if (err == -EBUSY)
		log_error("bpf_pin_dir %s is in use by another xlbd (with another control socket): "
			  "stop it first, or give this one its own bpf_pin_dir",
			  pin_dir);
	else if (err)
		log_error("bpf_pin_dir %s: cannot lock it: %s", pin_dir, strerror(-err));
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}
