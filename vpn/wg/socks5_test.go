package wg

import (
	"bufio"
	"context"
	"io"
	"net"
	"testing"

	"golang.org/x/net/proxy"
)

// echoServer answers each line with the line; it stops with the test.
func echoServer(t *testing.T, l net.Listener) {
	t.Helper()
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				io.Copy(c, c)
			}()
		}
	}()
}

func listenLocal(t *testing.T) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// roundTrip writes a line on c and wants it back.
func roundTrip(t *testing.T, c net.Conn) {
	t.Helper()
	if _, err := io.WriteString(c, "hello\n"); err != nil {
		t.Fatal(err)
	}
	got, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || got != "hello\n" {
		t.Fatalf("echo: %q, %v", got, err)
	}
}

// serveInBackground runs ServeSOCKS5 or Forward and checks that it ends
// cleanly with the test.
func serveInBackground(t *testing.T, serve func(ctx context.Context) error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
}

func TestSOCKS5(t *testing.T) {
	echo := listenLocal(t)
	echoServer(t, echo)
	l := listenLocal(t)
	var d net.Dialer
	serveInBackground(t, func(ctx context.Context) error { return ServeSOCKS5(ctx, l, d.DialContext) })

	client, err := proxy.SOCKS5("tcp", l.Addr().String(), nil, proxy.Direct)
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{echo.Addr().String(), "localhost:" + port(echo)} {
		t.Run(target, func(t *testing.T) {
			c, err := client.Dial("tcp", target)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			roundTrip(t, c)
		})
	}
	t.Run("refused", func(t *testing.T) {
		closed := listenLocal(t)
		addr := closed.Addr().String()
		closed.Close()
		if c, err := client.Dial("tcp", addr); err == nil {
			c.Close()
			t.Fatal("dial to a closed port succeeded")
		}
	})
}

func TestSOCKS5IPv6AndUnsupported(t *testing.T) {
	l := listenLocal(t)
	targets := make(chan string, 1)
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		targets <- addr
		a, b := net.Pipe()
		go func() { io.Copy(b, b) }()
		return a, nil
	}
	serveInBackground(t, func(ctx context.Context) error { return ServeSOCKS5(ctx, l, dial) })

	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	req := []byte{5, 1, 0, 5, 1, 0, 4}
	req = append(req, net.ParseIP("2001:db8::7")...)
	req = append(req, 0x1f, 0x90) // 8080
	c.Write(req)
	reply := make([]byte, 2+10)
	if _, err := io.ReadFull(c, reply); err != nil {
		t.Fatal(err)
	}
	if reply[0] != 5 || reply[1] != 0 || reply[3] != 0 {
		t.Fatalf("reply %x", reply)
	}
	if target := <-targets; target != "[2001:db8::7]:8080" {
		t.Errorf("dialled %q", target)
	}

	// BIND is not supported.
	c2, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	c2.Write([]byte{5, 1, 0, 5, 2, 0, 1, 127, 0, 0, 1, 0, 80})
	reply = make([]byte, 2+10)
	if _, err := io.ReadFull(c2, reply); err != nil {
		t.Fatal(err)
	}
	if reply[3] != socksCommandUnsupported {
		t.Errorf("BIND reply %x", reply)
	}
}

func TestForward(t *testing.T) {
	echo := listenLocal(t)
	echoServer(t, echo)
	l := listenLocal(t)
	var d net.Dialer
	serveInBackground(t, func(ctx context.Context) error { return Forward(ctx, l, d.DialContext, echo.Addr().String()) })
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	roundTrip(t, c)
}

func port(l net.Listener) string {
	_, p, _ := net.SplitHostPort(l.Addr().String())
	return p
}
