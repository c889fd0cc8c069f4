// Package archtest holds the tests that keep the architecture's package
// boundaries visible (see ARCHITECTURE.md); it has no code of its own.
package archtest
