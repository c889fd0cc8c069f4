//go:build cgo

package postgres

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
)

// maxMessage bounds a protocol message's length, as PostgreSQL's own
// limit on a field does (1 GiB).
const maxMessage = 1 << 30

// keptBody bounds the body buffer a wire keeps between messages.
const keptBody = 64 << 10

// wire reads protocol messages (after startup: a type byte and a length)
// from one side of a session without decoding them, so that the relay
// passes on bytes and decodes only what it inspects.
type wire struct {
	r    *bufio.Reader
	body []byte // reused for message bodies read whole
}

func newWire(r io.Reader) *wire {
	return &wire{r: bufio.NewReaderSize(r, 32<<10)}
}

// idle reports whether no input is buffered: the next read may block, so
// whatever was written for the other side must be flushed first.
func (w *wire) idle() bool { return w.r.Buffered() == 0 }

// header reads a message's type and the length of its body.
func (w *wire) header() (typ byte, n int, err error) {
	var h [5]byte
	if _, err := io.ReadFull(w.r, h[:]); err != nil {
		return 0, 0, err
	}
	l := binary.BigEndian.Uint32(h[1:])
	if l < 4 || l > maxMessage {
		return 0, 0, fmt.Errorf("message %q has an invalid length %d", h[0], l)
	}
	return h[0], int(l) - 4, nil
}

// read reads a body of n bytes whole; it is valid until the next read.
func (w *wire) read(n int) ([]byte, error) {
	if cap(w.body) < n || cap(w.body) > keptBody {
		w.body = make([]byte, n, max(n, 512))
	}
	b := w.body[:n]
	_, err := io.ReadFull(w.r, b)
	return b, err
}

// copyTo streams a body of n bytes to out, flushing out before any read
// that may block.
func (w *wire) copyTo(out *bufio.Writer, n int) error {
	for n > 0 {
		if w.idle() {
			if err := out.Flush(); err != nil {
				return err
			}
			if _, err := w.r.Peek(1); err != nil {
				return err
			}
		}
		b, _ := w.r.Peek(min(n, w.r.Buffered()))
		if _, err := out.Write(b); err != nil {
			return err
		}
		w.r.Discard(len(b))
		n -= len(b)
	}
	return nil
}

// writeMsg writes one message of type typ with body to out.
func writeMsg(out *bufio.Writer, typ byte, body []byte) error {
	var h [5]byte
	h[0] = typ
	binary.BigEndian.PutUint32(h[1:], uint32(len(body)+4))
	out.Write(h[:])
	_, err := out.Write(body)
	return err
}

// cstrings reads the first n NUL-terminated strings of a body.
func cstrings(body []byte, n int) ([]string, error) {
	out := make([]string, 0, n)
	for range n {
		i := bytes.IndexByte(body, 0)
		if i < 0 {
			return nil, fmt.Errorf("a string in a message is not terminated")
		}
		out = append(out, string(body[:i]))
		body = body[i+1:]
	}
	return out, nil
}

// cstring reads the first NUL-terminated string of a body.
func cstring(body []byte) (string, error) {
	i := bytes.IndexByte(body, 0)
	if i < 0 {
		return "", fmt.Errorf("a string in a message is not terminated")
	}
	return string(body[:i]), nil
}
