//go:build !unix

package cli

import "errors"

// execGateway cannot replace the process here: devenv runs the gateway as a
// child instead.
func execGateway(string, []string, []string) error { return errors.ErrUnsupported }
