/* fuzz_proto.c - libFuzzer target: whatever arrives on the server socket
 * or from a server, through the line reader and the JSON decoders. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct linebuf lb;
	char *line;
	int p[2];

	if (size > 65536 || pipe(p) < 0)
		return 0;
	if (write(p[1], data, size) != (ssize_t)size) {
		close(p[0]);
		close(p[1]);
		return 0;
	}
	close(p[1]);
	linebuf_init(&lb, 4096);
	while (linebuf_fill(&lb, p[0]) > 0)
		while ((line = linebuf_next(&lb)) != NULL) {
			cJSON *j = cJSON_Parse(line);
			struct dev_info di;
			struct job_info ji;

			if (j != NULL) {
				cJSON *back;

				proto_dev_from_json(j, &di);
				proto_dev_from_json(cJSON_GetObjectItem(j,
				    "device"), &di);
				proto_job_from_json(j, &ji);
				/* What we decoded re-encodes to one line. */
				back = proto_dev_to_json(&di);
				free(proto_encode(back, NULL));
				cJSON_Delete(back);
				cJSON_Delete(j);
			}
			free(line);
		}
	linebuf_done(&lb);
	close(p[0]);
	return 0;
}
