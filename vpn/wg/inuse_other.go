//go:build !linux

package wg

// nameFree is Linux's concern only: elsewhere the system backends are not
// implemented and Open reports that.
func nameFree(string) error { return nil }
