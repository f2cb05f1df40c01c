package main

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/mynthform/mynthform/spec"
)

// terraformFlags rewrites the single-dash long flags that Terraform users
// type (-detailed-exitcode, -out=FILE, -var 'a=b', -chdir=DIR) into the
// double-dash form pflag parses, and returns the new arguments; args is not
// changed. The rules, argument by argument up to "--" (and, when
// interspersed is false, up to the first argument that is not a flag):
//
//   - -NAME or -NAME=VALUE where NAME is a long flag of fs becomes --NAME...;
//   - a real shorthand, alone or in a cluster (-h, -C DIR, -Cdir), stays;
//   - any other -NAME becomes --NAME, so that a typo gets pflag's "unknown
//     flag: --NAME" and a "did you mean" instead of "unknown shorthand flag".
//
// The value of a flag that takes one is skipped, so that `--var -x=1`
// keeps its value as it is.
func terraformFlags(fs *pflag.FlagSet, args []string, interspersed bool) []string {
	out := append([]string(nil), args...)
	for i := 0; i < len(out); i++ {
		a := out[i]
		switch {
		case a == "--":
			return out
		case len(a) < 2 || a[0] != '-':
			if !interspersed {
				return out
			}
			continue
		case a[1] == '-':
			name, _, hasValue := strings.Cut(a[2:], "=")
			if f := fs.Lookup(name); f != nil && !hasValue && f.NoOptDefVal == "" {
				i++
			}
			continue
		}
		body := a[1:]
		name, _, hasValue := strings.Cut(body, "=")
		if len(name) > 1 && fs.Lookup(name) == nil && fs.ShorthandLookup(name[:1]) != nil {
			if shorthandTakesNext(fs, name) && !hasValue {
				i++
			}
			continue
		}
		if len(name) == 1 {
			if f := fs.ShorthandLookup(name); f != nil && !hasValue && f.NoOptDefVal == "" {
				i++
			}
			continue
		}
		out[i] = "--" + body
		if f := fs.Lookup(name); f != nil && !hasValue && f.NoOptDefVal == "" {
			i++
		}
	}
	return out
}

// shorthandTakesNext reports whether the shorthand cluster -cluster ends
// in a flag whose value is the next argument (-hC DIR), as pflag reads it:
// the first shorthand that takes a value takes the rest of the cluster, or
// the next argument when nothing is left.
func shorthandTakesNext(fs *pflag.FlagSet, cluster string) bool {
	for i := 0; i < len(cluster); i++ {
		f := fs.ShorthandLookup(cluster[i : i+1])
		if f == nil {
			return false
		}
		if f.NoOptDefVal == "" {
			return i == len(cluster)-1
		}
	}
	return false
}

// parallelismValue is the value of --parallelism: a whole number from 1 to
// spec.MaxParallelism, refused at parsing time otherwise (spec's
// CheckParallelism, as the mynth block's parallelism). 0 means not given;
// spec.Spec.Parallelism resolves the default.
type parallelismValue int

func (p *parallelismValue) String() string {
	if *p == 0 {
		return ""
	}
	return strconv.Itoa(int(*p))
}

func (p *parallelismValue) Set(s string) error {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		n = 0 // not a whole number (or out of int's range): refused below, in the same words
	}
	if err := spec.CheckParallelism(n); err != nil {
		return err
	}
	*p = parallelismValue(n)
	return nil
}

func (p *parallelismValue) Type() string { return "int" }

// defaultLockTimeout is how long a command that writes the state waits for
// another command's lock unless --lock-timeout says otherwise.
const defaultLockTimeout = 10 * time.Second

// registerLockTimeout adds --lock-timeout to fs, spelled and explained the
// same on every command that takes the state lock. 0 tries the lock once.
func registerLockTimeout(fs *pflag.FlagSet, d *time.Duration) {
	*d = defaultLockTimeout
	fs.Var(&durationValue{d: d}, "lock-timeout", "wait at most `D`, such as 90s or 2m, for another command's state lock")
}

// durationValue is the value of a duration flag that refuses what means
// nothing: a negative duration, and 0 too when positive is set. pflag's
// own duration takes "-5s" and leaves the meaning to whoever reads it.
type durationValue struct {
	d        *time.Duration
	positive bool
}

func (v *durationValue) String() string {
	if v.d == nil {
		return ""
	}
	return v.d.String()
}

func (v *durationValue) Set(s string) error {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	switch {
	case err != nil:
		return errors.New("must be a duration such as 90s, 2m or 1h30m")
	case d < 0:
		return errors.New("must not be negative")
	case d == 0 && v.positive:
		return errors.New("must be more than 0")
	}
	*v.d = d
	return nil
}

func (v *durationValue) Type() string { return "duration" }

// addressList is the value of a repeatable address flag (--target,
// --exclude, --replace). Each value is parsed as it is given; one that is
// not an address is kept with its error, so that checkAddresses reports
// every one of them at once, beside the warnings about addresses that
// match nothing.
type addressList struct{ args []addressArg }

// addressArg is one value of an address flag.
type addressArg struct {
	given string
	addr  spec.Address // the zero Address when err is set
	err   error
}

func (l *addressList) Set(s string) error {
	a, err := spec.ParseAddress(s)
	l.args = append(l.args, addressArg{s, a, err})
	return nil
}

// String is the values as given, as pflag's string arrays show theirs.
func (l *addressList) String() string {
	given := make([]string, len(l.args))
	for i, a := range l.args {
		given[i] = a.given
	}
	return "[" + strings.Join(given, ",") + "]"
}

func (l *addressList) Type() string { return "stringArray" }

// addresses are the values that are addresses.
func (l addressList) addresses() []spec.Address {
	var out []spec.Address
	for _, a := range l.args {
		if a.err == nil {
			out = append(out, a.addr)
		}
	}
	return out
}
