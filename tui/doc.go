// Package tui is devenv's interactive terminal UI: the project's services with
// their live state, health, ports, image and resource use; a service's logs;
// actions on the stack; and the VPN and access panels. It renders events from
// the same library calls the command line makes (env, images, vpn) and owns no
// logic of theirs: it never decides how to bring a stack up, it asks env to.
package tui
