package redis

import (
	"strings"
)

// handle answers one command; quit says the session ends after it.
func (ss *session) handle(args [][]byte) (quit bool, err error) {
	name := ss.table.name(args[0])
	switch name {
	case "auth":
		ss.record(name, 0, "")
		ss.out.local(okReply, false)
		return false, nil
	case "quit":
		ss.record(name, 0, "")
		ss.out.local(okReply, true)
		return true, nil
	case "multi", "exec", "discard":
		return false, ss.transaction(name)
	case "reset":
		ss.record(name, 0, "")
		ss.multi = nil
		if ok, err := ss.dedicated(); !ok {
			return false, err
		}
		ss.forward(args, 0)
		if auth := ss.p.auth(); auth != nil {
			ss.batch = append(ss.batch, auth...)
			ss.owing = append(ss.owing, owed{})
		}
		return false, nil
	case "hello":
		args = stripHelloAuth(args)
	}
	name, keys, reason := ss.table.check(name, args)
	if reason == "" {
		reason = costRefusal(name, args, ss.p.maxCount)
	}
	ss.record(name, keys, reason)
	if ss.multi != nil {
		switch {
		case reason != "":
			ss.multi.refused = append(ss.multi.refused, name)
			ss.out.local(refusedReply(reason), false)
		case name == "watch":
			ss.out.local(errorReply("ERR WATCH inside MULTI is not allowed"), false)
		case len(ss.multi.cmds)+ss.cr.size(args) > ss.p.maxRequest:
			ss.multi.over = "the queued commands are larger than the request limit of " + size(ss.p.maxRequest)
			ss.out.local(errorReply("ERR devenv gateway: "+ss.multi.over+"; EXEC will discard the transaction"), false)
		default:
			ss.multi.cmds = AppendCommand(ss.multi.cmds, args...)
			ss.multi.n++
			ss.out.local(queuedReply, false)
		}
		return false, nil
	}
	if reason != "" {
		ss.out.local(refusedReply(reason), false)
		return false, nil
	}
	if ss.table.Stateful(name, args) {
		if ok, err := ss.dedicated(); !ok {
			return false, err
		}
	}
	ss.forward(args, 0)
	return false, nil
}

// dedicated moves the session to a connection of its own for a command
// that needs one. When that fails the command is answered with the error
// (ok false); err is the session's end.
func (ss *session) dedicated() (ok bool, err error) {
	if err := ss.dedicate(); err != nil {
		if ss.ctx.Err() != nil {
			return false, err
		}
		ss.out.local(errorReply("ERR devenv gateway: "+err.Error()), false)
		return false, nil
	}
	return true, nil
}

// transaction answers MULTI, EXEC and DISCARD.
func (ss *session) transaction(name string) error {
	t := ss.multi
	switch {
	case name == "multi" && t != nil:
		ss.out.local(errorReply("ERR MULTI calls can not be nested"), false)
	case name == "multi":
		ss.multi = &txn{}
		ss.out.local(okReply, false)
	case t == nil:
		ss.out.local(errorReply("ERR "+strings.ToUpper(name)+" without MULTI"), false)
	case name == "discard":
		ss.multi = nil
		ss.out.local(okReply, false)
	case t.over != "":
		ss.multi = nil
		ss.record(name, 0, "transaction discarded: "+t.over)
		ss.out.local(errorReply("EXECABORT devenv gateway: transaction discarded: "+t.over), false)
		return nil
	case len(t.refused) > 0:
		ss.multi = nil
		ss.record(name, 0, "transaction discarded: it contained "+display(t.refused[0]))
		ss.out.local(refusedReply("transaction discarded: it contained "+display(strings.Join(t.refused, ", "))), false)
		return nil
	default:
		ss.multi = nil
		ss.record(name, 0, "")
		if ok, err := ss.dedicated(); !ok {
			return err
		}
		// MULTI and the queued commands answer +OK and +QUEUED upstream;
		// the client had those replies from the proxy already.
		ss.batch = AppendCommand(ss.batch, []byte("MULTI"))
		ss.batch = append(ss.batch, t.cmds...)
		for range 1 + t.n {
			ss.owing = append(ss.owing, owed{})
		}
		ss.forward([][]byte{[]byte("EXEC")}, len(t.cmds))
		return nil
	}
	ss.record(name, 0, "")
	return nil
}

// stripHelloAuth drops AUTH username password from HELLO: the gateway has
// logged in already.
func stripHelloAuth(args [][]byte) [][]byte {
	out := args[:min(len(args), 2):min(len(args), 2)]
	for i := 2; i < len(args); i++ {
		switch {
		case strings.EqualFold(string(args[i]), "auth") && i+2 < len(args):
			i += 2
		case strings.EqualFold(string(args[i]), "setname") && i+1 < len(args):
			out = append(out, args[i], args[i+1])
			i++
		default:
			out = append(out, args[i])
		}
	}
	return out
}
