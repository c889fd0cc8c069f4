package engine

import (
	"bufio"
	"context"
	"errors"
	"io"
)

// hasTTY reports whether the container was created with a TTY (tty: true):
// the engine then sends its log as one raw stream, not in frames. A failed
// inspect counts as no TTY; the log call that follows reports the error.
func (d *Docker) hasTTY(ctx context.Context, id string) bool {
	resp, err := d.cli.ContainerInspect(ctx, id)
	return err == nil && resp.Config != nil && resp.Config.Tty
}

// readRaw reads the log of a container with a TTY: plain lines, all on
// stdout (a TTY merges the two streams).
func (lr *logReader) readRaw(ctx context.Context, r io.Reader, lines chan<- LogLine) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 || errors.Is(err, bufio.ErrBufferFull) {
			if ferr := lr.frame(ctx, 1, line, lines); ferr != nil {
				return ferr
			}
		}
		switch {
		case errors.Is(err, io.EOF):
			return lr.flush(ctx, lines)
		case err != nil && !errors.Is(err, bufio.ErrBufferFull):
			return err
		}
	}
}
