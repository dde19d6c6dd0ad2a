/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd/metrics.c: `metrics`: the Prometheus text that --metrics-file holds
 * (daemon/export.c), made now. */
#include <stdlib.h>

#include "engine.h"
#include "export.h"
#include "server.h"

static int cmd_metrics(struct server_client *c, json_object *args, json_object **result)
{
	char *text = NULL;
	int r;

	r = export_metrics_text(server_client_engine(c), &text);
	if (r < 0)
		return r;
	*result = json_object_new_object();
	json_object_object_add(*result, PROTO_R_TEXT, json_object_new_string(text));
	free(text);
	return 0;
}

const struct server_cmd server_cmd_metrics = { PROTO_CMD_METRICS, cmd_metrics };
