package redis

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
)

// Limits of what a client may send, as Redis's own defaults
// (proto-max-bulk-len, the multibulk length limit).
const (
	maxBulk   = 512 << 20
	maxArgs   = 1 << 20
	maxInline = 64 << 10
	maxDepth  = 64 // nesting of upstream replies
)

// ErrProtocol is wrapped by every error about malformed RESP.
var ErrProtocol = errors.New("protocol error")

// ErrTooLarge is ReadCommand's error for a command over the Reader's
// limit. The command was read to its end and its arguments past the limit
// discarded unread into memory, so the next command can be read.
var ErrTooLarge = errors.New("command too large")

// argOverhead is what the Reader keeps per argument besides its bytes
// (its slice and where it ends), counted against the command limit so
// that a million empty arguments cost what they take.
const argOverhead = 32

func protoErr(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrProtocol, fmt.Sprintf(format, a...))
}

// Reader reads RESP: commands from a client, replies from the upstream.
type Reader struct {
	br   *bufio.Reader
	args [][]byte // the last command's arguments, slices of buf
	buf  []byte   // the last command's argument bytes
	ends []int    // where each argument ends in buf

	limit int // the most bytes a command may take, argOverhead per argument included; 0: no limit
}

// SetCommandLimit bounds the commands ReadCommand reads to n bytes of
// arguments, argOverhead per argument included; a larger command is
// discarded as it arrives and answered ErrTooLarge. 0 removes the bound.
func (r *Reader) SetCommandLimit(n int) { r.limit = n }

// bufferSize is what a Reader buffers: a whole pipeline of small
// commands, or many replies, per read system call.
const bufferSize = 64 << 10

// NewReader reads RESP from r.
func NewReader(r io.Reader) *Reader {
	return &Reader{br: bufio.NewReaderSize(r, bufferSize)}
}

// Buffered says whether more input is already buffered, so a writer can
// put off flushing while a pipeline is still arriving.
func (r *Reader) Buffered() int { return r.br.Buffered() }

// line reads one CRLF-terminated line, without the CRLF. The slice is valid
// until the next read.
func (r *Reader) line() ([]byte, error) {
	l, err := r.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return nil, protoErr("line too long")
	}
	if err != nil {
		if errors.Is(err, io.EOF) && len(l) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	if len(l) < 2 || l[len(l)-2] != '\r' {
		return nil, protoErr("line not terminated by CRLF")
	}
	return l[:len(l)-2], nil
}

// ReadCommand reads one command: an array of bulk strings or an inline
// command. It skips empty inline lines, as Redis does. The arguments are
// valid until the next call. A command over the Reader's limit is read to
// its end and answered ErrTooLarge with the arguments that fitted, if any.
func (r *Reader) ReadCommand() ([][]byte, error) {
	if cap(r.buf) > 1<<20 {
		r.buf = nil // a big command once is no reason to keep its memory
	}
	for {
		b, err := r.br.Peek(1)
		if err != nil {
			return nil, err
		}
		if b[0] != '*' {
			args, err := r.inline()
			if err != nil || len(args) > 0 {
				return args, err
			}
			continue
		}
		l, err := r.line()
		if err != nil {
			return nil, err
		}
		n, err := parseLen(l[1:], maxArgs)
		if err != nil {
			return nil, err
		}
		if n <= 0 {
			continue // Redis ignores *0 and *-1 from clients
		}
		r.buf, r.ends = r.buf[:0], r.ends[:0]
		size, over := 0, false
		for range n {
			if err := r.bulkArg(&size, &over); err != nil {
				return nil, err
			}
		}
		r.args = r.args[:0]
		start := 0
		for _, end := range r.ends {
			r.args = append(r.args, r.buf[start:end:end])
			start = end
		}
		if over {
			return r.args, ErrTooLarge
		}
		return r.args, nil
	}
}

// size is what args count against the Reader's limit.
func (r *Reader) size(args [][]byte) int {
	n := 0
	for _, a := range args {
		n += len(a) + argOverhead
	}
	return n
}

// bulkArg appends one bulk string argument to r.buf and its size to
// size; once size is over the limit it discards the argument instead and
// sets over.
func (r *Reader) bulkArg(size *int, over *bool) error {
	l, err := r.line()
	if err != nil {
		return err
	}
	if len(l) == 0 || l[0] != '$' {
		return protoErr("expected '$', got %q", firstByte(l))
	}
	n, err := parseLen(l[1:], maxBulk)
	if err != nil {
		return err
	}
	if n < 0 {
		return protoErr("invalid bulk length")
	}
	*size += n + argOverhead
	if *over = *over || (r.limit > 0 && *size > r.limit); *over {
		return r.skip(n)
	}
	if r.buf, err = r.payload(r.buf, n); err != nil {
		return err
	}
	r.buf = r.buf[:len(r.buf)-2]
	r.ends = append(r.ends, len(r.buf))
	return nil
}

// payload appends n bytes and the CRLF that ends them to dst.
func (r *Reader) payload(dst []byte, n int) ([]byte, error) {
	for want := n + 2; want > 0; {
		chunk := min(want, 32<<10)
		dst = slices.Grow(dst, chunk)[:len(dst)+chunk]
		if _, err := io.ReadFull(r.br, dst[len(dst)-chunk:]); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		want -= chunk
	}
	if !bytes.HasSuffix(dst, []byte("\r\n")) {
		return nil, protoErr("bulk string not terminated by CRLF")
	}
	return dst, nil
}

func firstByte(l []byte) string {
	if len(l) == 0 {
		return ""
	}
	return string(l[:1])
}

// parseLen parses a length as Redis does: an optional minus sign and
// decimal digits, at most limit; -1 is the null length.
func parseLen(b []byte, limit int) (int, error) {
	neg := len(b) > 0 && b[0] == '-'
	digits := b
	if neg {
		digits = b[1:]
	}
	if len(digits) == 0 || len(digits) > 10 {
		return 0, protoErr("invalid length %q", b)
	}
	n := 0
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, protoErr("invalid length %q", b)
		}
		n = n*10 + int(c-'0')
	}
	if neg {
		n = -n
	}
	if n < -1 || n > limit {
		return 0, protoErr("invalid length %q", b)
	}
	return n, nil
}

// inline reads one inline command: arguments separated by spaces, with
// Redis's double and single quotes.
func (r *Reader) inline() ([][]byte, error) {
	l, err := r.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) || len(l) > maxInline {
		return nil, protoErr("too big inline request")
	}
	if err != nil {
		if errors.Is(err, io.EOF) && len(l) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return SplitArgs(string(bytes.TrimRight(l, "\r\n")))
}

// SplitArgs splits an inline command line as Redis's sdssplitargs does.
func SplitArgs(line string) ([][]byte, error) {
	var args [][]byte
	i := 0
	for {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i == len(line) {
			return args, nil
		}
		var cur []byte
		inDQ, inSQ := false, false
		for done := false; !done; {
			switch {
			case inDQ:
				if i >= len(line) {
					return nil, protoErr("unbalanced quotes in request")
				}
				c := line[i]
				switch {
				case c == '\\' && i+3 < len(line) && line[i+1] == 'x' && isHex(line[i+2]) && isHex(line[i+3]):
					v, _ := strconv.ParseUint(line[i+2:i+4], 16, 8)
					cur = append(cur, byte(v))
					i += 3
				case c == '\\' && i+1 < len(line):
					i++
					cur = append(cur, unescape(line[i]))
				case c == '"':
					if i+1 < len(line) && !isSpace(line[i+1]) {
						return nil, protoErr("unbalanced quotes in request")
					}
					done = true
				default:
					cur = append(cur, c)
				}
			case inSQ:
				if i >= len(line) {
					return nil, protoErr("unbalanced quotes in request")
				}
				c := line[i]
				switch {
				case c == '\\' && i+1 < len(line) && line[i+1] == '\'':
					i++
					cur = append(cur, '\'')
				case c == '\'':
					if i+1 < len(line) && !isSpace(line[i+1]) {
						return nil, protoErr("unbalanced quotes in request")
					}
					done = true
				default:
					cur = append(cur, c)
				}
			default:
				if i >= len(line) {
					done = true
					break
				}
				switch c := line[i]; {
				case isSpace(c):
					done = true
				case c == '"':
					inDQ = true
				case c == '\'':
					inSQ = true
				default:
					cur = append(cur, c)
				}
			}
			if i < len(line) {
				i++
			}
		}
		if cur == nil {
			cur = []byte{}
		}
		args = append(args, cur)
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f'
}

func isHex(c byte) bool {
	return ('0' <= c && c <= '9') || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}

func unescape(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case 'b':
		return '\b'
	case 'a':
		return '\a'
	}
	return c
}

// AppendCommand appends args as a RESP array of bulk strings.
func AppendCommand(dst []byte, args ...[]byte) []byte {
	dst = append(dst, '*')
	dst = strconv.AppendInt(dst, int64(len(args)), 10)
	dst = append(dst, '\r', '\n')
	for _, a := range args {
		dst = append(dst, '$')
		dst = strconv.AppendInt(dst, int64(len(a)), 10)
		dst = append(dst, '\r', '\n')
		dst = append(dst, a...)
		dst = append(dst, '\r', '\n')
	}
	return dst
}

// Value is a parsed reply, for the few replies the proxy reads itself.
type Value struct {
	Type  byte // the RESP type byte: '+', '-', ':', '$', '*', '%', …
	Str   string
	Elems []Value // aggregates; a map's keys and values alternate
	Null  bool
}

// maxReplyLen bounds the element count of an aggregate reply. Redis's
// own replies stay far below it; what bounds the proxy's memory is the
// byte limit of ReadReplyLimit, not this.
const maxReplyLen = 1<<31 - 1

// ReadReply appends one complete reply, RESP2 or RESP3, to dst exactly as
// it was sent. An attribute is read together with the reply it annotates.
func (r *Reader) ReadReply(dst []byte) ([]byte, error) {
	return r.reply(dst, nil, 0, &replyLimit{max: -1})
}

// ReadReplyLimit is ReadReply that keeps at most limit bytes of the reply.
// A larger reply is read to its end all the same, so that the next reply
// starts where it should, but its bytes are discarded as they arrive:
// over is true and out is dst as it was. The input it consumes is the
// same whatever the limit.
func (r *Reader) ReadReplyLimit(dst []byte, limit int) (out []byte, over bool, err error) {
	base := len(dst)
	lim := &replyLimit{max: base + max(limit, 0)}
	out, err = r.reply(dst, nil, 0, lim)
	if err != nil {
		return nil, false, err
	}
	if lim.over {
		return dst[:base], true, nil
	}
	return out, false, nil
}

// ReadValue reads and parses one reply.
func (r *Reader) ReadValue() (Value, error) {
	var v Value
	_, err := r.reply(nil, &v, 0, &replyLimit{max: -1})
	return v, err
}

// replyLimit is where a reply being read stops being kept.
type replyLimit struct {
	max  int  // the largest len(dst) kept; negative: no limit
	over bool // max was passed: the rest of the reply is discarded
}

// keep says whether n more bytes still fit in dst.
func (l *replyLimit) keep(dst []byte, n int) bool {
	if !l.over && l.max >= 0 && len(dst)+n > l.max {
		l.over = true
	}
	return !l.over
}

func (r *Reader) reply(dst []byte, v *Value, depth int, lim *replyLimit) ([]byte, error) {
	if depth > maxDepth {
		return nil, protoErr("reply nested too deeply")
	}
	l, err := r.line()
	if err != nil {
		return nil, err
	}
	if len(l) == 0 {
		return nil, protoErr("empty reply line")
	}
	t := l[0]
	if v != nil {
		v.Type = t
	}
	var n int
	switch t {
	case '$', '!', '=':
		n, err = parseLen(l[1:], maxBulk)
	case '*', '~', '>', '%', '|':
		n, err = parseLen(l[1:], maxReplyLen)
	}
	if err != nil {
		return nil, err
	}
	if lim.keep(dst, len(l)+2) {
		dst = append(dst, l...) // l is not valid after the next read
		dst = append(dst, '\r', '\n')
	}
	switch t {
	case '+', '-', ':', ',', '#', '(', '_':
		if v != nil {
			v.Str, v.Null = string(l[1:]), t == '_'
		}
		return dst, nil
	case '$', '!', '=':
		if n < 0 {
			if v != nil {
				v.Null = true
			}
			return dst, nil
		}
		if !lim.keep(dst, n+2) {
			return dst, r.skip(n)
		}
		if lim.max >= 0 {
			// Room for the payload at once, not in steps that leave
			// garbage behind; the limit bounds it.
			dst = slices.Grow(dst, n+2)
		}
		start := len(dst)
		if dst, err = r.payload(dst, n); err != nil {
			return nil, err
		}
		if v != nil {
			v.Str = string(dst[start : start+n])
		}
		return dst, nil
	case '*', '~', '>', '%', '|':
		if n < 0 {
			if v != nil {
				v.Null = true
			}
			return dst, nil
		}
		if t == '%' || t == '|' {
			n *= 2
		}
		for range n {
			var e *Value
			if v != nil {
				v.Elems = append(v.Elems, Value{})
				e = &v.Elems[len(v.Elems)-1]
			}
			if dst, err = r.reply(dst, e, depth+1, lim); err != nil {
				return nil, err
			}
		}
		if t == '|' { // an attribute precedes the reply it annotates
			if v != nil {
				*v = Value{}
			}
			return r.reply(dst, v, depth+1, lim)
		}
		return dst, nil
	}
	return nil, protoErr("unknown reply type %q", t)
}

// skip discards n bytes and the CRLF that ends them.
func (r *Reader) skip(n int) error {
	if _, err := r.br.Discard(n); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	var crlf [2]byte
	if _, err := io.ReadFull(r.br, crlf[:]); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	if crlf != [2]byte{'\r', '\n'} {
		return protoErr("bulk string not terminated by CRLF")
	}
	return nil
}
