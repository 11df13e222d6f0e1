// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * metrics: the config block, the Prometheus rendering of a status document,
 * and the HTTP thread (fresh snapshots on demand, token, read-only, bounds)
 * with a stand-in main loop publishing from another thread.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "metrics/dashboard.h"
#include "metrics/metrics_prom.h"
#include "metrics/metrics_server.h"

#define HEAD "interfaces:\n  - name: eth0\nservices:\n  - name: web\n    vip: 10.0.0.1\n" \
	     "    port: 80\n    reals:\n      - address: 10.0.1.1\n"

static int load(const char *text, struct xlb_config *cfg, struct config_errors *errs)
{
	char path[] = "/tmp/xlb-test-metrics-XXXXXX";
	int fd = mkstemp(path), ret;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	ret = config_load(path, cfg, errs);
	unlink(path);
	return ret;
}

/* @yaml after HEAD must fail with one message containing @want. */
static void expect_error(const char *yaml, const char *want)
{
	struct xlb_config cfg = {};
	struct config_errors errs = {};
	char text[1024];

	snprintf(text, sizeof(text), "%s%s", HEAD, yaml);
	assert_int_equal(load(text, &cfg, &errs), -EINVAL);
	assert_int_equal(errs.count, 1);
	if (!strstr(errs.msgs[0], want))
		fail_msg("got '%s', expected it to contain '%s'", errs.msgs[0], want);
	config_errors_free(&errs);
}

static void test_config(void **state)
{
	struct xlb_config cfg = {};
	struct config_errors errs = {};

	assert_int_equal(load(HEAD, &cfg, &errs), 0);
	assert_false(cfg.metrics.enabled);
	config_free(&cfg);

	assert_int_equal(load(HEAD "metrics:\n  listen: 127.0.0.1:9469\n", &cfg, &errs), 0);
	assert_true(cfg.metrics.enabled);
	assert_int_equal(cfg.metrics.port, 9469);
	assert_string_equal(cfg.metrics.token, "");
	config_free(&cfg);

	assert_int_equal(load(HEAD "metrics: {listen: '[::]:80', token: abcdefghijklmnop-1}\n", &cfg,
			      &errs),
			 0);
	assert_int_equal(cfg.metrics.addr.family, AF_INET6);
	assert_string_equal(cfg.metrics.token, "abcdefghijklmnop-1");
	config_free(&cfg);

	expect_error("metrics:\n  listen: 0.0.0.0:9469\n",
		     "10: metrics listen '0.0.0.0:9469' is reachable from other hosts (expected a token");
	expect_error("metrics:\n  listen: localhost:9469\n", "bad metrics listen 'localhost:9469'");
	expect_error("metrics:\n  listen: 127.0.0.1:0\n", "bad metrics listen");
	expect_error("metrics:\n  listen: ::1:80\n", "bad metrics listen");
	expect_error("metrics:\n  listen: 127.0.0.1:1\n  token: short\n", "bad metrics token");
	expect_error("metrics:\n  token: abcdefghijklmnopq\n", "listen");
	expect_error("metrics:\n  listen: 127.0.0.1:1\n  port: 3\n", "port");
}

static const char status_json[] =
	"{\"services\":[{\"name\":\"web\",\"vip\":\"10.0.0.1\",\"port\":80,\"protocol\":\"tcp\","
	"\"method\":\"dr\",\"scheduler\":\"rr\",\"stats\":{\"packets\":10,\"bytes\":1000,"
	"\"new_flows\":2},\"quorum\":{\"min\":1,\"healthy\":1,\"up\":true},"
	"\"reals\":[{\"address\":\"10.0.1.1\",\"port\":80,\"weight\":1,\"state\":\"down\","
	"\"active_conns\":3,\"inactive_conns\":1,\"for_s\":2.5,\"stats\":{\"packets\":7,"
	"\"bytes\":700,\"new_flows\":18446744073709551615},\"health\":{\"check\":\"http\","
	"\"state\":\"down\",\"reason\":\"status \\\"503\\\"\\nx\",\"transitions\":1,"
	"\"last_duration_ms\":12}},{\"address\":\"fd00::1\",\"port\":8080,\"weight\":2,"
	"\"state\":\"up\",\"active_conns\":0,\"inactive_conns\":0,\"for_s\":1}]}],"
	"\"counters\":{\"rx\":5,\"drop_no_real\":1,\"evict_someday\":4},"
	"\"ha\":{\"vrrp\":{\"instances\":[{\"name\":\"v1\",\"interface\":\"eth0\",\"state\":\"master\","
	"\"priority\":150,\"base_priority\":200,\"fault\":\"link <down>\",\"tracking\":[{\"type\":\"interface\","
	"\"name\":\"eth0\",\"failing\":false},{\"type\":\"service\",\"name\":\"web\","
	"\"failing\":true}],\"transitions\":2,\"counters\":{\"adverts_rx\":1,\"adverts_tx\":9,"
	"\"rx_errors\":{\"bad_ttl\":3}}}]},\"sync\":{\"enabled\":true,\"counters\":{\"tx_messages\":4},"
	"\"peers\":[{\"address\":\"10.0.0.3\",\"rx_messages\":2,\"full_sync\":true}]}},"
	"\"build\":{\"version\":\"v1\",\"compiler\":\"cc\"}}";

static void assert_has(const char *text, const char *line)
{
	if (!strstr(text, line))
		fail_msg("missing: %s", line);
}

static void test_prom(void **state)
{
	json_object *st = json_tokener_parse(status_json);
	size_t len = 0;
	char *t;

	assert_non_null(st);
	t = metrics_prom_render(st, &len);
	assert_non_null(t);
	assert_int_equal(strlen(t), len);
	assert_has(t, "# TYPE xlb_real_packets_total counter\n");
	assert_has(t, "xlb_real_packets_total{service=\"web\",real=\"10.0.1.1:80\"} 7\n");
	/* u64 counters stay exact, never through a double. */
	assert_has(t, "xlb_real_new_flows_total{service=\"web\",real=\"10.0.1.1:80\"} 18446744073709551615\n");
	assert_has(t, "xlb_real_state{service=\"web\",real=\"[fd00::1]:8080\",state=\"up\"} 1\n");
	assert_has(t, "xlb_real_state{service=\"web\",real=\"10.0.1.1:80\",state=\"up\"} 0\n");
	assert_has(t, "xlb_real_health_check_duration_seconds{service=\"web\",real=\"10.0.1.1:80\"} 0.012");
	assert_has(t, "reason=\"status \\\"503\\\"\\nx\"} 1\n");
	/* Counter names come from the document, so one the data plane adds later shows up. */
	assert_has(t, "xlb_dataplane_packets_total{reason=\"evict_someday\"} 4\n");
	assert_has(t, "xlb_vrrp_state{instance=\"v1\",interface=\"eth0\",state=\"master\"} 1\n");
	assert_has(t, "xlb_vrrp_advert_errors_total{instance=\"v1\",reason=\"bad_ttl\"} 3\n");
	assert_has(t, "xlb_vrrp_state{instance=\"v1\",interface=\"eth0\",state=\"fault\"} 0\n");
	assert_has(t, "xlb_vrrp_priority{instance=\"v1\"} 150\n");
	assert_has(t, "xlb_vrrp_base_priority{instance=\"v1\"} 200\n");
	assert_has(t, "xlb_vrrp_tracked_failing{instance=\"v1\",type=\"service\",name=\"web\"} 1\n");
	assert_has(t, "xlb_vrrp_tracked_failing{instance=\"v1\",type=\"interface\",name=\"eth0\"} 0\n");
	assert_has(t, "xlb_sync_tx_messages_total 4\n");
	assert_has(t, "xlb_sync_peer_full_sync{peer=\"10.0.0.3\"} 1\n");
	assert_has(t, "xlb_build_info{version=\"v1\",compiler=\"cc\"} 1\n");
	assert_has(t, "xlb_service_quorum_up{service=\"web\"} 1\n");
	/* Each family's TYPE line comes once, before its samples. */
	assert_null(strstr(strstr(t, "# TYPE xlb_real_weight ") + 1, "# TYPE xlb_real_weight "));
	free(t);

	t = dashboard_page(st, &len);
	assert_non_null(t);
	assert_has(t, "data-real=\"10.0.1.1:80\" data-state=\"down\"");
	assert_has(t, "status &quot;503&quot;");
	assert_null(strstr(t, "status \"503\""));
	/* VRRP: the fault next to the role (escaped), the priority of the configured one. */
	assert_has(t, "master (link &lt;down&gt;)</td><td>150 of 200</td>");
	free(t);
	json_object_put(st);
}

/* A stand-in main loop: publishes whenever the HTTP thread asks. */
struct loop {
	struct metrics_server *srv;
	atomic_bool stop;
	atomic_int published;
};

static void *loop_run(void *arg)
{
	struct loop *l = arg;

	while (!atomic_load(&l->stop)) {
		struct pollfd p = { .fd = metrics_server_fd(l->srv), .events = POLLIN };
		uint64_t n;
		char text[128];

		if (poll(&p, 1, 20) <= 0)
			continue;
		if (read(p.fd, &n, sizeof(n)) < 0)
			continue;
		/* Counted first: a reader that sees the snapshot sees the count. */
		snprintf(text, sizeof(text), "{\"counters\":{\"rx\":%d}}",
			 atomic_fetch_add(&l->published, 1) + 1);
		json_object *st = json_tokener_parse(text);
		metrics_server_publish(l->srv, st);
		json_object_put(st);
	}
	return NULL;
}

/* Sends @req raw; returns the status code and the response in @buf. */
static int http(uint16_t port, const char *req, char *buf, size_t len)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), code = 0;
	size_t got = 0;
	ssize_t n;

	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	for (size_t off = 0, all = strlen(req); off < all; off += (size_t)n) {
		n = send(fd, req + off, all - off, MSG_NOSIGNAL);
		if (n <= 0)
			break;
	}
	while (got < len - 1 && (n = recv(fd, buf + got, len - 1 - got, 0)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	close(fd);
	sscanf(buf, "HTTP/1.%*d %d", &code);
	return code;
}

static void test_server(void **state)
{
	struct metrics_config mc = { .enabled = true, .port = 0 };
	struct loop l = {};
	pthread_t th;
	static char buf[1 << 16];
	uint16_t port;
	char req[256];

	mc.addr.family = AF_INET;
	mc.addr.v4.s_addr = htonl(INADDR_LOOPBACK);
	snprintf(mc.token, sizeof(mc.token), "%s", "0123456789abcdef");
	assert_int_equal(metrics_server_open(&mc, &l.srv), 0);
	port = metrics_server_port(l.srv);
	assert_true(port > 0);
	assert_int_equal(pthread_create(&th, NULL, loop_run, &l), 0);

	assert_int_equal(http(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
			      buf, sizeof(buf)),
			 401);
	assert_int_equal(http(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
				    "Authorization: Bearer 0123456789abcdeX\r\n\r\n",
			      buf, sizeof(buf)),
			 401);
	assert_int_equal(http(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
				    "Authorization: Bearer 0123456789abcdef\r\n\r\n",
			      buf, sizeof(buf)),
			 200);
	/* The first request asked the loop for a snapshot and got it. */
	assert_int_equal(atomic_load(&l.published), 1);
	assert_has(buf, "xlb_dataplane_packets_total{reason=\"rx\"} 1\n");
	assert_int_equal(http(port, "GET /api/status?token=0123456789abcdef HTTP/1.1\r\nHost: x\r\n"
				    "Connection: close\r\n\r\n",
			      buf, sizeof(buf)),
			 200);
	assert_has(buf, "{\"counters\":{\"rx\":");
	/* Within METRICS_FRESH_MS the same snapshot serves again, without asking. */
	assert_int_equal(atomic_load(&l.published), 1);
	usleep((METRICS_FRESH_MS + 100) * 1000);
	assert_int_equal(http(port, "GET /?token=0123456789abcdef HTTP/1.1\r\nHost: x\r\n"
				    "Connection: close\r\n\r\n",
			      buf, sizeof(buf)),
			 200);
	assert_int_equal(atomic_load(&l.published), 2);
	assert_has(buf, "<!DOCTYPE html>");
	assert_int_equal(http(port, "POST /metrics?token=0123456789abcdef HTTP/1.1\r\nHost: x\r\n"
				    "Connection: close\r\n\r\n",
			      buf, sizeof(buf)),
			 405);
	assert_int_equal(http(port, "GET /x?token=0123456789abcdef HTTP/1.1\r\nHost: x\r\n"
				    "Connection: close\r\n\r\n",
			      buf, sizeof(buf)),
			 404);
	/* Headers beyond the connection's memory limit are refused, not buffered. */
	{
		size_t big = 64 * 1024;
		char *huge = malloc(big + 128);
		int code;

		assert_non_null(huge);
		size_t head = (size_t)snprintf(huge, big + 128, "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Pad: ");

		memset(huge + head, 'a', big);
		strcpy(huge + head + big, "\r\n\r\n");
		code = http(port, huge, buf, sizeof(buf));
		assert_true(code == 0 || code == 431 || code == 413 || code == 400);
		free(huge);
	}
	snprintf(req, sizeof(req), "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
				   "Authorization: Bearer 0123456789abcdef\r\n\r\n");
	assert_int_equal(http(port, req, buf, sizeof(buf)), 200);

	atomic_store(&l.stop, true);
	pthread_join(th, NULL);
	metrics_server_close(l.srv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_prom),
		cmocka_unit_test(test_server),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
