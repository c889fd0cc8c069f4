package httpproxy

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
)

// Refuse answers the client's first request with 429 Too Many Requests
// saying reason, and asks the client to close the connection.
func (p *Proxy) Refuse(ctx context.Context, conn net.Conn, reason string) {
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	req, err := http.ReadRequest(bufio.NewReader(conn))
	if err != nil {
		return
	}
	body := reason + "\n"
	resp := &http.Response{StatusCode: http.StatusTooManyRequests, ProtoMajor: 1, ProtoMinor: 1, Request: req,
		Header: http.Header{"Content-Type": {"text/plain; charset=utf-8"}, "Content-Length": {strconv.Itoa(len(body))}},
		Body:   io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)), Close: true}
	resp.Write(conn)
}
