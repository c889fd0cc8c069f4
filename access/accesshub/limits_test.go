package accesshub

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/devenv-dev/devenv/vpn/hub"
	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// TestLongPollsAreCappedPerDeviceAndGateway: a device's grant waits share
// the hub's cap on its long-polls with its netmap polls, and a gateway has
// its own; over the cap the answer is 429 at once.
func TestLongPollsAreCappedPerDeviceAndGateway(t *testing.T) {
	const max = 3
	ah := startAccessHub(t, testOptions{MaxLongPolls: max})
	ctx, cancel := context.WithCancel(t.Context())
	var polls sync.WaitGroup
	defer polls.Wait()
	defer cancel()

	pending := ah.mustRequest(t, "alice", "prod-db", time.Hour) // before the gateway waits: it wakes them
	var nm hubapi.NetMap
	if err := ah.client.do(ctx, http.MethodGet, hubapi.PathNetMap+"?since=0", ah.tokens["alice"], nil, &nm); err != nil {
		t.Fatal(err)
	}
	gg, err := ah.gatewayGrants(t, 0)
	if err != nil {
		t.Fatal(err)
	}
	waitPath := hubapi.PathGrant + "?wait=1&id=" + pending.ID
	grantsPath := fmt.Sprintf("%s?since=%d", hubapi.PathGatewayGrants, gg.Version)
	hold := func(path, token string) {
		polls.Go(func() { ah.client.get(ctx, path, token) })
		<-ah.held
	}
	for range max {
		hold(waitPath, ah.tokens["alice"])
		hold(grantsPath, ah.gwToken)
	}

	status, after, code, err := ah.client.get(t.Context(), waitPath, ah.tokens["alice"])
	wantThrottled(t, "a device's grant wait over the cap", status, after, code, err)
	status, after, code, err = ah.client.get(t.Context(), fmt.Sprintf("%s?since=%d", hubapi.PathNetMap, nm.Version), ah.tokens["alice"])
	wantThrottled(t, "a device's netmap poll over the cap", status, after, code, err)
	status, after, code, err = ah.client.get(t.Context(), grantsPath, ah.gwToken)
	wantThrottled(t, "a gateway's long-poll over the cap", status, after, code, err)
	if status, _, _, err := ah.client.get(t.Context(), hub.PathHealth, ""); err != nil || status != http.StatusOK {
		t.Errorf("/healthz while a device is at its cap: %d, %v", status, err)
	}
}

// get sends a GET with a token and returns the answer's status, its
// Retry-After header and its error code.
func (c *apiClient) get(ctx context.Context, path, token string) (status int, retryAfter, code string, err error) {
	status, header, raw, err := c.sendFull(ctx, http.MethodGet, path, token, nil)
	if err != nil {
		return 0, "", "", err
	}
	return status, header.Get("Retry-After"), errCode(errorOf(status, raw)), nil
}

// wantThrottled checks an answer is 429 too_many_requests with a
// Retry-After of whole seconds.
func wantThrottled(t *testing.T, what string, status int, retryAfter, code string, err error) {
	t.Helper()
	secs, aerr := strconv.Atoi(retryAfter)
	if err != nil || status != http.StatusTooManyRequests || code != "too_many_requests" || aerr != nil || secs < 1 {
		t.Errorf("%s: status %d, Retry-After %q, code %q, %v; want 429 too_many_requests with a Retry-After", what, status, retryAfter, code, err)
	}
}

// TestUnauthenticatedBodiesAreNotRead: a stranger's upload that never ends
// is answered 401 while the stranger is still sending it: the hub knows
// the caller before it reads a body (a gateway's may be 8 MiB; read
// first, an endless one would be answered 400 once past that).
func TestUnauthenticatedBodiesAreNotRead(t *testing.T) {
	th := startHub(t, testOptions{})
	for _, path := range []string{"PUT " + hubapi.PathGatewayTargets, "POST " + hubapi.PathGatewayAudit, "POST " + hubapi.PathRequests} {
		if status := endlessUpload(t, th.Addr().String(), path); status != http.StatusUnauthorized {
			t.Errorf("%s with a bad token and an endless body: %d; want 401", path, status)
		}
	}
}

// endlessUpload sends "METHOD PATH" with a bad token and a body that does
// not end, and returns the status of the answer read while sending.
func endlessUpload(t *testing.T, addr, methodPath string) int {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	method, path, _ := strings.Cut(methodPath, " ")
	fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: hub\r\nAuthorization: Bearer forged\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{\"public_key\":\"",
		method, path, 1<<40)
	var sending sync.WaitGroup
	defer sending.Wait()
	defer conn.Close()
	sending.Go(func() {
		chunk := bytes.Repeat([]byte("a"), 64<<10)
		for {
			if _, err := conn.Write(chunk); err != nil {
				return
			}
		}
	})
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method, URL: &url.URL{Path: path}})
	if err != nil {
		t.Fatalf("%s: no answer while sending: %v", methodPath, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
