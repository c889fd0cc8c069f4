// Package hubclient is the typed client of the hub API (package hubapi). It
// trusts exactly one certificate, the one whose fingerprint the invite
// carried, and turns transport failures and the hub's error bodies into
// errors a caller can test with errors.Is.
package hubclient

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/devenv-dev/devenv/vpn/hubapi"
)

// Timeouts of one call. A netmap long-poll may legitimately take the hub's
// 25 s, so it gets more.
const (
	callTimeout    = 30 * time.Second
	netMapTimeout  = 40 * time.Second
	connectTimeout = 10 * time.Second
)

// Client calls one hub. It is safe for concurrent use.
type Client struct {
	base        string // hub URL without a trailing slash
	fingerprint string // lowercase hex SHA-256 of the hub certificate's DER
	token       string // bearer token; "" for Enroll only
	http        *http.Client
}

// New returns a client of the hub at hubURL (https://host:port) that trusts
// only the certificate with the given fingerprint (hex SHA-256 of its DER;
// colons and case are ignored) and authenticates with token (a device or an
// admin token; "" before enrolment).
func New(hubURL, fingerprint, token string) *Client {
	fp := normalizeFingerprint(fingerprint)
	tr := &http.Transport{
		Proxy: nil, // the hub is reached directly, as its UDP endpoint is
		// Short TCP keepalives: a long-poll idles on its connection, and after a
		// network change a dead connection must be noticed in seconds, not minutes.
		DialContext: (&net.Dialer{Timeout: connectTimeout, KeepAliveConfig: net.KeepAliveConfig{
			Enable: true, Idle: 5 * time.Second, Interval: 3 * time.Second, Count: 3,
		}}).DialContext,
		TLSHandshakeTimeout: connectTimeout,
		TLSClientConfig: &tls.Config{
			MinVersion: tls.VersionTLS12,
			// Chain verification is replaced by pinning: the invite names
			// the one certificate to trust, which is usually self-signed.
			InsecureSkipVerify:    true,
			VerifyPeerCertificate: pinned(fp),
		},
		ForceAttemptHTTP2: true,
		// Keepalives are not sent while a request is unacknowledged, which
		// is how a connection that died just as a long-poll was sent looks
		// for minutes: HTTP/2 pings notice that one too.
		HTTP2:           &http.HTTP2Config{SendPingTimeout: 5 * time.Second, PingTimeout: 5 * time.Second},
		IdleConnTimeout: 90 * time.Second,
	}
	return &Client{
		base:        strings.TrimRight(hubURL, "/"),
		fingerprint: fp,
		token:       token,
		http:        &http.Client{Transport: tr},
	}
}

// URL is the hub's URL.
func (c *Client) URL() string { return c.base }

// Close releases idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

func normalizeFingerprint(s string) string {
	return strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), ":", ""))
}

// Fingerprint is the hex SHA-256 of a certificate's DER, the form invites carry.
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

func pinned(fp string) func([][]byte, [][]*x509.Certificate) error {
	return func(raw [][]byte, _ [][]*x509.Certificate) error {
		if len(raw) == 0 || fp == "" || Fingerprint(raw[0]) != fp {
			return ErrFingerprint
		}
		return nil
	}
}

// Enroll redeems an invite's secret for a device identity.
func (c *Client) Enroll(ctx context.Context, req hubapi.EnrollRequest) (hubapi.EnrollResponse, error) {
	var resp hubapi.EnrollResponse
	err := c.do(ctx, callTimeout, http.MethodPost, hubapi.PathEnroll, req, &resp)
	return resp, err
}

// NetMap returns the device's network map once its version is greater than
// since, long-polling the hub (which answers within about 25 s, with the
// current map if nothing changed). since 0 returns the current map at once.
func (c *Client) NetMap(ctx context.Context, since uint64) (hubapi.NetMap, error) {
	var nm hubapi.NetMap
	path := hubapi.PathNetMap + "?since=" + strconv.FormatUint(since, 10)
	err := c.do(ctx, netMapTimeout, http.MethodGet, path, nil, &nm)
	return nm, err
}

// Leave deregisters the device and frees its address.
func (c *Client) Leave(ctx context.Context) error {
	return c.do(ctx, callTimeout, http.MethodPost, hubapi.PathLeave, nil, nil)
}

// Devices lists the registered devices (admin token).
func (c *Client) Devices(ctx context.Context) ([]hubapi.Device, error) {
	var ds []hubapi.Device
	err := c.do(ctx, callTimeout, http.MethodGet, hubapi.PathDevices, nil, &ds)
	return ds, err
}

// Revoke revokes a device by ID (admin token).
func (c *Client) Revoke(ctx context.Context, id string) error {
	return c.do(ctx, callTimeout, http.MethodPost, hubapi.PathRevoke, hubapi.RevokeRequest{ID: id}, nil)
}

// do sends one request with a JSON body (if in is non-nil) and decodes a
// JSON answer into out (if non-nil).
func (c *Client) do(ctx context.Context, timeout time.Duration, method, path string, in, out any) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := c.newRequest(ctx, method, path, in)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return c.transportError(ctx, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return readAPIError(resp)
	}
	if out == nil || resp.StatusCode == http.StatusNoContent { // 204: an older hub's answer without a body
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return c.transportError(ctx, fmt.Errorf("reading the answer to %s %s: %w", method, path, err))
	}
	return nil
}

func (c *Client) newRequest(ctx context.Context, method, path string, in any) (*http.Request, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("encoding %s request: %w", path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, fmt.Errorf("hub URL %q: %w", c.base, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	return req, nil
}

// transportError classifies a failure to get an answer: a certificate that
// is not the pinned one, the caller's cancellation, or an unreachable hub.
func (c *Client) transportError(ctx context.Context, err error) error {
	if errors.Is(err, ErrFingerprint) {
		return ErrFingerprint
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // the URL is in our own message already
	}
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.DeadlineExceeded) {
		return cause
	}
	return &UnreachableError{URL: c.base, Err: err}
}
