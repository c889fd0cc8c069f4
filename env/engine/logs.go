package engine

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/docker/docker/api/types/container"
)

// maxLogLine bounds a line held while waiting for its end; longer lines are
// delivered in pieces.
const maxLogLine = 1 << 20

// ContainerLogs streams the log of a container created without a TTY, one
// LogLine per line, stdout and stderr told apart. With Timestamps each line
// carries the engine's time of it. Lines the engine splits (over 16 KiB) are
// joined again.
//
// Both channels are closed when the log ends (without Follow), when the
// container's log ends (with Follow, once it stops), or when ctx ends. The
// error channel yields at most one error before closing: the failure, or
// ctx's error when ctx ended first; nothing when the log simply ended. A
// caller that stops reading before the end must cancel ctx, which ends the
// stream's goroutine.
func (d *Docker) ContainerLogs(ctx context.Context, id string, opts LogOptions) (<-chan LogLine, <-chan error) {
	lines := make(chan LogLine, 64)
	errs := make(chan error, 1)
	go func() {
		defer close(errs)
		defer close(lines)
		if err := d.streamLogs(ctx, id, opts, lines); err != nil {
			errs <- err
		}
	}()
	return lines, errs
}

func (d *Docker) streamLogs(ctx context.Context, id string, opts LogOptions, lines chan<- LogLine) error {
	tty := d.hasTTY(ctx, id)
	body, err := d.cli.ContainerLogs(ctx, id, container.LogsOptions{
		ShowStdout: true,
		ShowStderr: true,
		Follow:     opts.Follow,
		Tail:       opts.Tail,
		Since:      engineTimestamp(opts.Since),
		Timestamps: opts.Timestamps,
	})
	if err != nil {
		return fmt.Errorf("logs of container %s: %w", id, d.mapErr(err, ErrNotFound))
	}
	defer body.Close()
	stop := context.AfterFunc(ctx, func() { body.Close() })
	defer stop()

	lr := logReader{timestamps: opts.Timestamps}
	if tty {
		err = lr.readRaw(ctx, body, lines)
	} else {
		err = lr.read(ctx, body, lines)
	}
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	if err != nil {
		return fmt.Errorf("logs of container %s: %w", id, err)
	}
	return nil
}

// engineTimestamp formats t as the engine's seconds.nanoseconds; zero is "".
func engineTimestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return fmt.Sprintf("%d.%09d", t.Unix(), t.Nanosecond())
}

// logReader reassembles lines from the engine's multiplexed log stream:
// frames of an 8-byte header (stream, 0, 0, 0, big-endian length) and a
// payload that holds one log message, prefixed by its time with Timestamps.
type logReader struct {
	timestamps bool
	pending    [3]logPending // by stream number: 1 stdout, 2 stderr
}

// logPending is the unfinished line of one stream.
type logPending struct {
	text []byte
	time time.Time // of the line's first piece
}

func (lr *logReader) read(ctx context.Context, r io.Reader, lines chan<- LogLine) error {
	var hdr [8]byte
	var payload []byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			if errors.Is(err, io.EOF) {
				return lr.flush(ctx, lines)
			}
			return err
		}
		stream := hdr[0]
		size := binary.BigEndian.Uint32(hdr[4:])
		if cap(payload) < int(size) {
			payload = make([]byte, size)
		}
		payload = payload[:size]
		if _, err := io.ReadFull(r, payload); err != nil {
			return err
		}
		switch stream {
		case 1, 2:
			if err := lr.frame(ctx, int(stream), payload, lines); err != nil {
				return err
			}
		case 3:
			return fmt.Errorf("engine: %s", bytes.TrimSpace(payload))
		}
	}
}

// frame adds one message to its stream's pending line and sends the lines it
// completes.
func (lr *logReader) frame(ctx context.Context, stream int, msg []byte, lines chan<- LogLine) error {
	p := &lr.pending[stream]
	var t time.Time
	if lr.timestamps {
		t, msg = splitTimestamp(msg)
	}
	for len(msg) > 0 {
		if len(p.text) == 0 {
			p.time = t
		}
		i := bytes.IndexByte(msg, '\n')
		if i < 0 {
			p.text = append(p.text, msg...)
			if len(p.text) < maxLogLine {
				return nil
			}
			msg = nil
		} else {
			p.text = append(p.text, msg[:i]...)
			msg = msg[i+1:]
		}
		if err := lr.send(ctx, stream, lines); err != nil {
			return err
		}
	}
	return nil
}

// flush sends the unfinished lines at the end of the log.
func (lr *logReader) flush(ctx context.Context, lines chan<- LogLine) error {
	for stream := 1; stream <= 2; stream++ {
		if len(lr.pending[stream].text) > 0 {
			if err := lr.send(ctx, stream, lines); err != nil {
				return err
			}
		}
	}
	return nil
}

func (lr *logReader) send(ctx context.Context, stream int, lines chan<- LogLine) error {
	p := &lr.pending[stream]
	line := LogLine{Stream: "stdout", Text: string(bytes.TrimSuffix(p.text, []byte("\r"))), Time: p.time}
	if stream == 2 {
		line.Stream = "stderr"
	}
	p.text = p.text[:0]
	select {
	case lines <- line:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// splitTimestamp takes the engine's RFC 3339 time and a space off the front
// of a message. A message without one is returned whole with a zero time.
func splitTimestamp(msg []byte) (time.Time, []byte) {
	i := bytes.IndexByte(msg, ' ')
	if i < 0 {
		i = len(msg)
	}
	t, err := time.Parse(time.RFC3339Nano, string(msg[:i]))
	if err != nil {
		return time.Time{}, msg
	}
	if i < len(msg) {
		i++
	}
	return t, msg[i:]
}
