package spec

import (
	"regexp"

	"github.com/hashicorp/hcl/v2"
)

// Backend is the mynth block's backend block: the state lives somewhere
// other than a file.
type Backend struct {
	// Type is the backend's label; "pg" is the only one.
	Type string
	// ConnStr is the connection string, "" when it is to come from the
	// PG_CONN_STR environment variable. It holds a password: never print
	// it.
	ConnStr string
	// SchemaName is the schema that holds the tables, "" for the
	// backend's default.
	SchemaName string
	DeclRange  hcl.Range
}

// BackendTypes are the backend types a backend block may name.
var BackendTypes = []string{"pg"}

var pgBackendSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "conn_str"},
		{Name: "schema_name"},
	},
}

// schemaNamePattern is what schema_name may be: a plain identifier that
// needs no quoting.
var schemaNamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]{0,62}$`)

// decodeBackendBlock reads a backend block of the mynth block.
func (l *loader) decodeBackendBlock(b *hcl.Block) (*Backend, hcl.Diagnostics) {
	typ := b.Labels[0]
	if typ != "pg" {
		rng := b.DefRange
		if len(b.LabelRanges) > 0 {
			rng = b.LabelRanges[0]
		}
		return nil, hcl.Diagnostics{errorf(rng, "Unsupported backend type",
			"There is no backend %q.%s mynthform keeps the state in a file (leave the backend block out) or in PostgreSQL (backend \"pg\").", typ, didYouMean(typ, BackendTypes))}
	}
	be := &Backend{Type: typ, DeclRange: b.DefRange}
	content, diags := b.Body.Content(pgBackendSchema)
	diags = explainUnsupported(diags, `in a backend "pg" block`, pgBackendSchema, content)
	fv := l.evalAttrs(content.Attributes, l.rootScope(), "")
	if f, ok := fv.get("conn_str"); ok {
		if v, ok := fv.str(f); ok {
			// The value is a secret: no diagnostic shows it.
			if v == "" {
				fv.add(errorf(f.rng, "Invalid connection string", "conn_str is empty. Give a PostgreSQL connection string, or leave conn_str out to take it from the PG_CONN_STR environment variable (which keeps the password out of the spec)."))
			} else {
				be.ConnStr = v
			}
		}
	}
	if f, ok := fv.get("schema_name"); ok {
		if v, ok := fv.str(f); ok {
			if !schemaNamePattern.MatchString(v) {
				fv.add(errorf(f.rng, "Invalid schema name", "schema_name is %s; it must start with a letter or _, hold only letters, digits, _ and -, and be at most 63 characters long. Leave it out for the default, \"mynthform\".", shown(v, f.sensitive)))
			} else {
				be.SchemaName = v
			}
		}
	}
	return be, append(diags, fv.diags...)
}
