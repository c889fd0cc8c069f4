//go:build !unix

package gateway

// lockStateDir has no lock to take where the gateway does not run.
func lockStateDir(string) (func(), error) { return func() {}, nil }
