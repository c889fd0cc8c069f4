// Package env brings a project's services up on a container engine and keeps
// them converged: it observes what the engine has (by label), computes a pure
// Plan against the desired configuration, and applies it with maximal
// parallelism, starting each service as soon as its own dependencies' conditions
// hold. It never prints: progress is reported as Events to a Reporter.
package env
