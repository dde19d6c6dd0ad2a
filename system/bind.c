/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bind.c: the binder. Carries out one planner action in sysfs the way
 * Documentation/ABI/testing/sysfs-bus-pci describes it, reading the device's
 * real state itself, and never leaving a device without the driver it had
 * because a step half-way failed (see bind.h and PITFALLS.md).
 *
 * Every write goes through ctx->sysfs (the kernel's answer comes back as
 * -errno and is never dropped); every read goes through pci.c under ctx->root.
 * Error codes chosen when the kernel said yes but the result is wrong:
 *   -ENODEV  the kernel accepted drivers_probe but no driver took the device
 *            (pitfall 1), or after restore nothing claimed a device that had
 *            a driver;
 *   -EBUSY   another driver than the target took it.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bdf.h"
#include "bind.h"
#include "log.h"
#include "util.h"
#include "fileio.h"
#include "pci-scan.h"

/* ---- results ---- */

/* Record an outcome: the first failure's errno is kept, the message is the
 * latest sentence; failures log at error, successes at info. Returns err. */
static int res_set(struct bind_result *res, int err, const char *fmt, ...) _printf_(3, 4);
static int res_set(struct bind_result *res, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(res->msg, sizeof(res->msg), fmt, ap);
	va_end(ap);
	if (err && !res->err)
		res->err = err;
	if (err)
		log_error("%s", res->msg);
	else
		log_info("%s", res->msg);
	return res->err;
}

static void res_init(struct bind_result *res)
{
	memset(res, 0, sizeof(*res));
}

/* ---- the sysfs writes, one helper per kind ---- */

static int write_attr(const struct bind_ctx *ctx, const char *bdf, const char *attr,
		      const char *value)
{
	char rel[PATH_MAX];
	int r = util_fmt(rel, sizeof(rel), "bus/pci/devices/%s/%s", bdf, attr);

	return r < 0 ? r : sysfs_write(ctx->sysfs, ctx->root, rel, value);
}

/* drivers/NAME/{bind,unbind}: the value is the device name. */
static int write_driver_op(const struct bind_ctx *ctx, const char *driver, const char *op,
			   const char *bdf)
{
	char rel[PATH_MAX];
	int r = util_fmt(rel, sizeof(rel), "bus/pci/drivers/%s/%s", driver, op);

	return r < 0 ? r : sysfs_write(ctx->sysfs, ctx->root, rel, bdf);
}

/* drivers_probe answers yes whether or not a driver took the device
 * (pitfall 1): callers verify the driver link afterwards. */
static int write_probe(const struct bind_ctx *ctx, const char *bdf)
{
	int r = sysfs_write(ctx->sysfs, ctx->root, "bus/pci/drivers_probe", bdf);

	if (r < 0)
		log_debug("drivers_probe %s: %s", bdf, strerror(-r));
	return r;
}

/* Pitfall 3: a zero-byte write may not reach the store; "\n" clears. */
static int clear_override(const struct bind_ctx *ctx, const char *bdf)
{
	return write_attr(ctx, bdf, "driver_override", "\n");
}

static void read_driver(const struct bind_ctx *ctx, const char *bdf, char *buf)
{
	if (pci_read_driver(ctx->root, bdf, buf, PCI_DRIVER_MAX) < 0)
		buf[0] = '\0';
}

/* ---- bind ---- */

/* Put a device whose move failed back where it was: clear the override,
 * then bind it to orig (drivers_probe if the bind file says no). Appends
 * the outcome to res->msg. */
static void roll_back(const struct bind_ctx *ctx, const char *bdf, const char *orig,
		      struct bind_result *res)
{
	char now[PCI_DRIVER_MAX], why[160] = "";
	size_t n = strlen(res->msg);
	int r;

	r = clear_override(ctx, bdf);
	if (r < 0)
		snprintf(why, sizeof(why), "clear driver_override: %s: ", strerror(-r));
	read_driver(ctx, bdf, now);
	if (!*now && *orig) {
		r = write_driver_op(ctx, orig, "bind", bdf);
		if (r < 0) {
			log_debug("bind %s to %s: %s; trying drivers_probe", bdf, orig, strerror(-r));
			r = write_probe(ctx, bdf);
		}
		read_driver(ctx, bdf, now);
		/* The kernel's reason, when it gave one, beats our guess. */
		if (r < 0 && !*now && !*why)
			snprintf(why, sizeof(why), "drivers_probe: %s: ", strerror(-r));
	}
	if (strcmp(now, orig) == 0) {
		res->rolled_back = true;
		if (*orig)
			snprintf(res->msg + n, sizeof(res->msg) - n, "; put back on %s", orig);
	} else if (*orig) {
		snprintf(res->msg + n, sizeof(res->msg) - n,
			 "; and putting it back on %s failed: %s%s", orig, why,
			 *now ? "another driver took it" : "device has no driver");
	}
	log_msg(res->rolled_back ? LOG_LVL_INFO : LOG_LVL_ERROR, "%s", res->msg);
}

/* Make sure the target driver is registered, loading its module if not. */
static int ensure_driver(const struct bind_ctx *ctx, const char *bdf, const char *driver,
			 struct bind_result *res)
{
	char err[256] = "";
	int r;

	if (pci_driver_registered(ctx->root, driver))
		return 0;
	r = ctx->modules->load(ctx->modules->ud, driver, err, sizeof(err));
	if (pci_driver_registered(ctx->root, driver)) {
		if (r < 0)
			log_warning("%s (driver %s is registered all the same)", err, driver);
		return 0;
	}
	if (r < 0)
		return res_set(res, r, "bind %s to %s: %s", bdf, driver, err);
	return res_set(res, -ENODEV, "bind %s to %s: module loaded but no driver %s is registered",
		       bdf, driver, driver);
}

/* After override + unbind + probe: check, and roll back if it did not take. */
static int verify_bind(const struct bind_ctx *ctx, const char *bdf, const char *driver,
		       int probe_err, struct bind_result *res)
{
	char now[PCI_DRIVER_MAX];
	int err;

	read_driver(ctx, bdf, now);
	if (strcmp(now, driver) == 0) {
		util_strlcpy(res->driver_after, now, sizeof(res->driver_after));
		return res_set(res, 0, "bound %s to %s (was %s)", bdf, driver,
			       *res->driver_before ? res->driver_before : "on no driver");
	}
	if (*now) {
		err = -EBUSY;
		res_set(res, err, "bind %s to %s: %s took it instead", bdf, driver, now);
	} else {
		err = probe_err < 0 ? probe_err : -ENODEV;
		res_set(res, err, "bind %s to %s: no driver claimed it", bdf, driver);
	}
	roll_back(ctx, bdf, res->driver_before, res);
	read_driver(ctx, bdf, res->driver_after);
	return err;
}

/* Checks done before any path is built from the arguments. */
static int check_args(const char *bdf, const char *driver, struct bind_result *res)
{
	if (!bdf_is_canonical(bdf))
		return res_set(res, -EINVAL, "invalid PCI address \"%.32s\"", bdf ? bdf : "");
	if (driver && !pci_driver_name_valid(driver))
		return res_set(res, -EINVAL, "%s: invalid driver name \"%.64s\"", bdf, driver);
	return 0;
}

int bind_device(const struct bind_ctx *ctx, const char *bdf, const char *driver,
		struct bind_result *res)
{
	const char *cur = res->driver_before;
	int r;

	res_init(res);
	if (check_args(bdf, driver ? driver : "", res) < 0)
		return res->err;
	r = pci_read_driver(ctx->root, bdf, res->driver_before, sizeof(res->driver_before));
	if (r < 0)
		return res_set(res, r, "bind %s to %s: %s", bdf, driver, strerror(-r));
	util_strlcpy(res->driver_after, cur, sizeof(res->driver_after));
	if (strcmp(cur, driver) == 0) {
		log_debug("%s is on %s already", bdf, driver);
		snprintf(res->msg, sizeof(res->msg), "%s is on %s already", bdf, driver);
		return 0;
	}
	if ((r = ensure_driver(ctx, bdf, driver, res)) < 0)
		return r;
	r = write_attr(ctx, bdf, "driver_override", driver);
	if (r < 0)
		return res_set(res, r, "set driver_override of %s to %s: %s", bdf, driver,
			       strerror(-r));
	if (*cur && (r = write_driver_op(ctx, cur, "unbind", bdf)) < 0) {
		res_set(res, r, "unbind %s from %s: %s", bdf, cur, strerror(-r));
		if (clear_override(ctx, bdf) < 0)
			log_error("%s: could not clear driver_override again", bdf);
		read_driver(ctx, bdf, res->driver_after);
		return r;
	}
	return verify_bind(ctx, bdf, driver, write_probe(ctx, bdf), res);
}

/* ---- restore ---- */

/* Load the module the device's modalias names; the loader's sentence goes
 * to err. Only called when the original driver is not registered. */
static int load_by_modalias(const struct bind_ctx *ctx, const char *bdf, char *err, size_t size)
{
	char alias[PCI_MODALIAS_MAX];
	int r;

	r = pci_read_modalias(ctx->root, bdf, alias, sizeof(alias));
	if (r < 0) {
		snprintf(err, size, "read modalias: %s", strerror(-r));
		return r;
	}
	r = ctx->modules->load(ctx->modules->ud, alias, err, size);
	if (r < 0)
		log_warning("%s: %s", bdf, err);
	return r;
}

static int verify_restore(const struct bind_ctx *ctx, const char *bdf, const char *orig,
			  int probe_err, const char *load_err, struct bind_result *res)
{
	read_driver(ctx, bdf, res->driver_after);
	if (*res->driver_after)
		return res_set(res, 0, "restored %s: on %s%s%s", bdf, res->driver_after,
			       *orig && strcmp(orig, res->driver_after) ? ", it had " : "",
			       *orig && strcmp(orig, res->driver_after) ? orig : "");
	if (!*orig)
		return res_set(res, 0, "restored %s: no driver, as before", bdf);
	/* As verify_bind: the kernel's errno when drivers_probe gave one. */
	if (probe_err < 0)
		return res_set(res, probe_err, "restore %s: no driver claimed it: drivers_probe: %s%s%s",
			       bdf, strerror(-probe_err), *load_err ? "; " : "", load_err);
	return res_set(res, -ENODEV, "restore %s: no driver claimed it%s%s", bdf,
		       *load_err ? "; " : "", load_err);
}

int bind_restore(const struct bind_ctx *ctx, const char *bdf, const char *original_driver,
		 struct bind_result *res)
{
	const char *orig = original_driver ? original_driver : "";
	const char *cur = res->driver_before;
	char load_err[256] = "";
	int r;

	res_init(res);
	if (check_args(bdf, *orig ? orig : NULL, res) < 0)
		return res->err;
	r = pci_read_driver(ctx->root, bdf, res->driver_before, sizeof(res->driver_before));
	if (r < 0)
		return res_set(res, r, "restore %s: %s", bdf, strerror(-r));
	r = clear_override(ctx, bdf);
	if (r < 0)
		return res_set(res, r, "clear driver_override of %s: %s", bdf, strerror(-r));
	if (*cur && strcmp(cur, orig) == 0) {
		util_strlcpy(res->driver_after, cur, sizeof(res->driver_after));
		return res_set(res, 0, "restored %s: on %s already", bdf, cur);
	}
	if (*cur && (r = write_driver_op(ctx, cur, "unbind", bdf)) < 0) {
		util_strlcpy(res->driver_after, cur, sizeof(res->driver_after));
		return res_set(res, r, "unbind %s from %s: %s", bdf, cur, strerror(-r));
	}
	/* driver names are not module names (vfio-pci is vfio_pci, and many
	 * drivers live in differently named modules): the modalias finds it */
	if (*orig && !pci_driver_registered(ctx->root, orig))
		load_by_modalias(ctx, bdf, load_err, sizeof(load_err));
	r = write_probe(ctx, bdf);
	return verify_restore(ctx, bdf, orig, r, load_err, res);
}

/* ---- SR-IOV ---- */

static int read_dev_long(const struct bind_ctx *ctx, const char *bdf, const char *attr, long *v)
{
	char path[PATH_MAX];
	int r = util_fmt(path, sizeof(path), "%s/bus/pci/devices/%s/%s", ctx->root, bdf, attr);

	return r < 0 ? r : fileio_read_long(path, 10, v);
}

static int write_dev_long(const struct bind_ctx *ctx, const char *bdf, const char *attr, long v,
			  struct bind_result *res)
{
	char val[32];
	int r;

	snprintf(val, sizeof(val), "%ld", v);
	r = write_attr(ctx, bdf, attr, val);
	if (r < 0)
		return res_set(res, r, "write %s to %s of %s: %s", val, attr, bdf, strerror(-r));
	log_info("%s: %s = %ld", bdf, attr, v);
	return 0;
}

/* The kernel refuses to change a non-zero VF count directly (-EBUSY). */
static int change_numvfs(const struct bind_ctx *ctx, const char *pf, long cur, int numvfs,
			 struct bind_result *res)
{
	int r;

	if (cur != 0 && (r = write_dev_long(ctx, pf, "sriov_numvfs", 0, res)) < 0)
		return r;
	if (numvfs != 0 && (r = write_dev_long(ctx, pf, "sriov_numvfs", numvfs, res)) < 0)
		return r;
	return res_set(res, 0, "%s: %d VFs (was %ld)", pf, numvfs, cur);
}

/* A failure here is reported, but never hides an earlier one's sentence. */
static void restore_autoprobe(const struct bind_ctx *ctx, const char *pf, long v,
			      struct bind_result *res)
{
	char val[32];
	int r;

	snprintf(val, sizeof(val), "%ld", v);
	r = write_attr(ctx, pf, "sriov_drivers_autoprobe", val);
	if (r < 0 && !res->err)
		res_set(res, r, "%s: restore sriov_drivers_autoprobe=%s: %s", pf, val, strerror(-r));
	else if (r < 0)
		log_error("%s: restore sriov_drivers_autoprobe=%s: %s", pf, val, strerror(-r));
	else
		log_info("%s: sriov_drivers_autoprobe = %s again", pf, val);
}

int bind_set_numvfs(const struct bind_ctx *ctx, const char *pf, int numvfs, bool autoprobe_off,
		    struct bind_result *res)
{
	long total, cur, autoprobe = 0;
	bool toggled = false;
	int r;

	res_init(res);
	if (check_args(pf, NULL, res) < 0)
		return res->err;
	if (numvfs < 0)
		return res_set(res, -EINVAL, "%s: a VF count cannot be negative (%d)", pf, numvfs);
	if ((r = read_dev_long(ctx, pf, "sriov_totalvfs", &total)) < 0 ||
	    (r = read_dev_long(ctx, pf, "sriov_numvfs", &cur)) < 0)
		return res_set(res, r, "%s: read SR-IOV state: %s", pf,
			       r == -ENOENT ? "not SR-IOV capable" : strerror(-r));
	if (numvfs > total)
		return res_set(res, -ERANGE, "%s supports %ld VFs, %d asked", pf, total, numvfs);
	if (cur == numvfs) {
		snprintf(res->msg, sizeof(res->msg), "%s has %d VFs already", pf, numvfs);
		return 0;
	}
	if (autoprobe_off && numvfs > 0) {
		if ((r = read_dev_long(ctx, pf, "sriov_drivers_autoprobe", &autoprobe)) < 0)
			return res_set(res, r, "%s: read sriov_drivers_autoprobe: %s", pf,
				       strerror(-r));
		if (autoprobe && (r = write_dev_long(ctx, pf, "sriov_drivers_autoprobe", 0, res)) < 0)
			return r;
		toggled = autoprobe != 0;
	}
	r = change_numvfs(ctx, pf, cur, numvfs, res);
	/* restored on failure too: autoprobe off would outlive us otherwise */
	if (toggled)
		restore_autoprobe(ctx, pf, autoprobe, res);
	return res->err ? res->err : r;
}

int bind_set_autoprobe(const struct bind_ctx *ctx, const char *pf, int value,
		       struct bind_result *res)
{
	long cur;
	int r;

	res_init(res);
	if (check_args(pf, NULL, res) < 0)
		return res->err;
	if (value < 0 || value > 1)
		return res_set(res, -EINVAL, "%s: sriov_drivers_autoprobe is 0 or 1, not %d", pf,
			       value);
	if ((r = read_dev_long(ctx, pf, "sriov_drivers_autoprobe", &cur)) < 0)
		return res_set(res, r, "%s: read sriov_drivers_autoprobe: %s", pf, strerror(-r));
	if (cur == value) {
		snprintf(res->msg, sizeof(res->msg), "%s: sriov_drivers_autoprobe is %d already", pf,
			 value);
		return 0;
	}
	return write_dev_long(ctx, pf, "sriov_drivers_autoprobe", value, res);
}
