//go:build windows

package cli

// watchResize does nothing on Windows, which has no SIGWINCH; the size taken
// at start stays in effect.
func watchResize(func()) (stop func()) { return func() {} }
