/*
 * Files tlsprobe writes: session files (the TLS 1.2 master secret), the key
 * log, --json reports and serve's CA. One policy for all of them, since any
 * may sit in a shared directory such as /tmp:
 *
 * - A symbolic link is never followed: another user could plant one to
 *   make us truncate or append to a file of ours, or read our secrets
 *   through a file of theirs. The one exception is a link owned by us or by
 *   root to something that is not a regular file (/dev/stdout to a pipe or
 *   a terminal, /dev/fd/N of a process substitution), written in place.
 * - A regular file that belongs to another user is refused: in a sticky
 *   directory its owner keeps control of it (they could swap the CA that
 *   serve --write-ca wrote, or read a session secret).
 * - A whole file is written to a new temporary file in the same directory
 *   (O_EXCL, so never through a link; mode 0600 for secrets) and renamed
 *   over the name: readers see the old file or the new one, never half of
 *   one, and the new one has our owner and mode whatever the old had.
 * - The key log is appended to (several connections, one line each), so it
 *   is opened with O_NOFOLLOW and created 0600; an existing one of ours with
 *   a wider mode is narrowed to 0600.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tlsprobe.h"

enum target {
	T_NEW, /* no such file */
	T_REGULAR, /* a regular file of ours */
	T_IN_PLACE /* a device, FIFO or socket, written where it is */
};

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int trusted_owner(uid_t uid)
{
	return uid == geteuid() || uid == 0;
}

/* What is at path now, or -1 with the reason it is refused. */
static int examine(const char *path, enum target *t, char *err, size_t errlen)
{
	struct stat lst, st;

	if (lstat(path, &lst) == -1) {
		if (errno != ENOENT)
			return fail(err, errlen, "%s", strerror(errno));
		*t = T_NEW;
		return 0;
	}
	if (S_ISLNK(lst.st_mode)) {
		if (!trusted_owner(lst.st_uid) || stat(path, &st) == -1 ||
		    S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))
			return fail(err, errlen,
				    "is a symbolic link (not followed; name "
				    "the file itself)");
		*t = T_IN_PLACE;
		return 0;
	}
	if (S_ISDIR(lst.st_mode))
		return fail(err, errlen, "%s", strerror(EISDIR));
	if (S_ISREG(lst.st_mode) ? lst.st_uid != geteuid() :
				   !trusted_owner(lst.st_uid))
		return fail(err, errlen, "belongs to another user (refused)");
	*t = S_ISREG(lst.st_mode) ? T_REGULAR : T_IN_PLACE;
	return 0;
}

static int write_fd(int fd, const void *data, size_t len)
{
	const char *p = data;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A new file next to path: "DIR/.NAME.XXXXXXXX", O_EXCL. */
static int open_temp(const char *path, int mode, char *tmp, size_t tmplen)
{
	const char *slash = strrchr(path, '/');
	int dirlen = slash ? (int)(slash - path + 1) : 0;
	unsigned int rnd;
	int fd, tries;

	for (tries = 0; tries < 100; tries++) {
		if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
			rnd = (unsigned int)getpid() * 2654435761u + tries;
		if (snprintf(tmp, tmplen, "%.*s.%s.%08x", dirlen, path,
			     path + dirlen, rnd) >= (int)tmplen) {
			errno = ENAMETOOLONG;
			return -1;
		}
		fd = open(tmp,
			  O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			  mode);
		if (fd != -1 || errno != EEXIST)
			return fd;
	}
	return -1;
}

static int replace_file(const char *path, const void *data, size_t len,
			int mode, char *err, size_t errlen)
{
	char tmp[4096];
	int fd = open_temp(path, mode, tmp, sizeof(tmp)), e;

	if (fd == -1)
		return fail(err, errlen, "%s", strerror(errno));
	if (write_fd(fd, data, len) == -1) {
		e = errno;
		close(fd);
		unlink(tmp);
		return fail(err, errlen, "%s", strerror(e));
	}
	if (close(fd) == -1) {
		e = errno;
		unlink(tmp);
		return fail(err, errlen, "%s", strerror(e));
	}
	/* rename replaces a link or file planted meanwhile, never follows
	 * it; in a sticky directory it fails on another user's file. */
	if (rename(tmp, path) == -1) {
		e = errno;
		unlink(tmp);
		return fail(err, errlen, "%s", strerror(e));
	}
	return 0;
}

static int write_in_place(const char *path, const void *data, size_t len,
			  char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY);

	if (fd == -1)
		return fail(err, errlen, "%s", strerror(errno));
	if (write_fd(fd, data, len) == -1) {
		int e = errno;

		close(fd);
		return fail(err, errlen, "%s", strerror(e));
	}
	if (close(fd) == -1)
		return fail(err, errlen, "%s", strerror(errno));
	return 0;
}

int tp_file_write(const char *path, const void *data, size_t len, int secret,
		  char *err, size_t errlen)
{
	enum target t;

	if (examine(path, &t, err, errlen) == -1)
		return -1;
	if (t == T_IN_PLACE)
		return write_in_place(path, data, len, err, errlen);
	return replace_file(path, data, len, secret ? 0600 : 0644, err, errlen);
}

int tp_file_check_writable(const char *path, char *err, size_t errlen)
{
	char tmp[4096];
	enum target t;
	int fd;

	if (examine(path, &t, err, errlen) == -1)
		return -1;
	if (t == T_IN_PLACE)
		return access(path, W_OK) == 0 ?
			       0 :
			       fail(err, errlen, "%s", strerror(errno));
	/* What replace_file does first: a new file in the directory. */
	fd = open_temp(path, 0600, tmp, sizeof(tmp));
	if (fd == -1)
		return fail(err, errlen, "cannot create a file there: %s",
			    strerror(errno));
	close(fd);
	unlink(tmp);
	return 0;
}

/* A regular file opened for the key log: ours, and 0600. */
static int check_opened(int fd, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st) == -1)
		return fail(err, errlen, "%s", strerror(errno));
	if (!S_ISREG(st.st_mode))
		return 0;
	if (st.st_uid != geteuid())
		return fail(err, errlen, "belongs to another user (refused)");
	if ((st.st_mode & 077) != 0 && fchmod(fd, st.st_mode & 0700) == -1)
		return fail(err, errlen, "cannot make it private: %s",
			    strerror(errno));
	return 0;
}

int tp_file_open_append(const char *path, char *err, size_t errlen)
{
	enum target t;
	int fd, flags = O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY;

	if (examine(path, &t, err, errlen) == -1)
		return -1;
	/* Between examine and open a link may appear: O_NOFOLLOW. */
	if (t != T_IN_PLACE)
		flags |= O_CREAT | O_NOFOLLOW;
	fd = open(path, flags, 0600);
	if (fd == -1)
		return fail(err, errlen, "%s",
			    errno == ELOOP ?
				    "is a symbolic link (not followed)" :
				    strerror(errno));
	if (check_opened(fd, err, errlen) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}
