package redis

import (
	"bufio"
	"net"
	"testing"
)

// TestRefuse: a refused client's first command is answered with an error
// that gives the reason on one line.
func TestRefuse(t *testing.T) {
	h, err := New(Options{Upstream: "127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	client, server := net.Pipe()
	defer client.Close()
	go func() {
		h.(*Proxy).Refuse(t.Context(), server, "limit: sessions per grant\non target cache (8 at once)")
		server.Close()
	}()
	if _, err := client.Write([]byte("*1\r\n$4\r\nPING\r\n")); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(client).ReadString('\n')
	if want := "-ERR devenv gateway: limit: sessions per grant on target cache (8 at once)\r\n"; err != nil || line != want {
		t.Errorf("refusal %q (%v), want %q", line, err, want)
	}
}
