package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/client"
)

// UnreachableError says the engine could not be contacted. It matches
// ErrUnreachable with errors.Is.
type UnreachableError struct {
	Host string // the engine address tried, such as unix:///var/run/docker.sock
	Err  error  // what the client reported
}

func (e *UnreachableError) Error() string {
	if strings.Contains(e.Err.Error(), "permission denied") {
		return fmt.Sprintf("cannot reach the Docker Engine at %s: permission denied "+
			"(add your user to the docker group, or DOCKER_HOST selects another engine)", e.Host)
	}
	return fmt.Sprintf("cannot reach the Docker Engine at %s: is it running? "+
		"(start Docker Desktop, or `sudo systemctl start docker`; DOCKER_HOST selects another engine)", e.Host)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrUnreachable) hold.
func (e *UnreachableError) Is(target error) bool { return target == ErrUnreachable }

// mapErr turns a Docker client error into one that matches the package's
// sentinels: notFound (ErrNotFound or ErrImageNotFound) for missing objects,
// ErrConflict for name clashes, ErrUnreachable when the engine cannot be
// contacted. Context errors and the rest pass through unchanged.
func (d *Docker) mapErr(err error, notFound error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case client.IsErrConnectionFailed(err):
		return &UnreachableError{Host: d.cli.DaemonHost(), Err: err}
	case cerrdefs.IsNotFound(err):
		return fmt.Errorf("%w: %w", notFound, err)
	case cerrdefs.IsConflict(err):
		return fmt.Errorf("%w: %w", ErrConflict, err)
	}
	return err
}

// isPortInUse tells an engine error about a host port taken by another
// process or container. The engine reports it as an internal error.
func isPortInUse(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "port is already allocated") ||
		strings.Contains(msg, "address already in use")
}
