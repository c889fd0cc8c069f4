//go:build cgo

package postgres

import (
	"strconv"
	"strings"
)

// maxShapedDigits bounds the integer literals a shape masks: up to nine
// digits a literal is always an int4 constant (an ICONST token), so every
// text of a shape lexes to the same tokens, values aside.
const maxShapedDigits = 9

// shape is a query text with its integer literals masked. Clients that
// put values into the text (the simple protocol, as pgbench -S, psql and
// most drivers that interpolate do) send each statement with different
// numbers; the verdict of one such text holds for every text of its shape
// when two things are true:
//
//   - The texts differ only in integer literals that the lexer sees as
//     whole ICONST tokens (shapeOf): outside quotes, not part of a name,
//     a decimal, an exponent or a parameter, at most nine digits, in a
//     text without backslashes, dollar signs or comments, which it does
//     not follow. Such texts parse to the same tree but for the values of
//     those constants.
//   - Normalizing the judged text turned exactly those literals, and
//     nothing else, into $1…$n (covers). So each is a constant in an
//     expression, where the grammar takes any value: never a name, a
//     type's modifier, a FETCH count or a setting the policy reads. The
//     policy never reads a constant's value, and the normalized text —
//     what the audit records — is the same for every text of the shape.
//
// Only allowed, single-statement verdicts are shared by shape.
type shape struct {
	key      string // the text with each masked literal as a NUL byte
	template string // the text with the i-th masked literal as $i, trimmed
	n        int    // masked literals
}

// shapeOf masks sql's integer literals; ok is false when there are none or
// the text has anything shapeOf does not follow.
func shapeOf(sql string) (sh shape, ok bool) {
	if strings.ContainsAny(sql, "\\$\x00") || strings.Contains(sql, "--") || strings.Contains(sql, "/*") {
		return shape{}, false
	}
	var key, tmpl strings.Builder
	last := 0 // sql[last:i] is not yet copied
	var quote byte
	for i := 0; i < len(sql); i++ {
		c := sql[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0 // a doubled quote reopens at once
			}
			continue
		case c == '\'' || c == '"':
			quote = c
			continue
		case !isDigit(c) || (i > 0 && (nameByte(sql[i-1]) || sql[i-1] == '.')):
			continue
		}
		j := i
		for j < len(sql) && isDigit(sql[j]) {
			j++
		}
		if j-i > maxShapedDigits || (j < len(sql) && (nameByte(sql[j]) || sql[j] == '.')) {
			i = j - 1
			continue
		}
		sh.n++
		key.WriteString(sql[last:i])
		key.WriteByte(0)
		tmpl.WriteString(sql[last:i])
		tmpl.WriteString("$" + strconv.Itoa(sh.n))
		last, i = j, j-1
	}
	if sh.n == 0 || quote != 0 {
		return shape{}, false
	}
	key.WriteString(sql[last:])
	tmpl.WriteString(sql[last:])
	sh.key, sh.template = key.String(), strings.TrimSpace(tmpl.String())
	return sh, true
}

// covers reports whether v, the verdict of stmts, the statements of a text
// of shape sh, holds for every text of the shape: one allowed statement
// that holds all of the text's masked literals, normalized to its
// template.
func (sh shape) covers(v *verdict, stmts []Statement) bool {
	if v.refusal != "" || len(stmts) != 1 || len(v.norms) != 1 {
		return false
	}
	st, ok := shapeOf(stmts[0].SQL)
	return ok && st.n == sh.n && v.norms[0] == st.template
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// nameByte reports whether c can continue a name or a number: letters,
// digits, _, $ and any byte of a multi-byte character.
func nameByte(c byte) bool {
	return isDigit(c) || c == '_' || c == '$' || c >= 0x80 || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}
