package spec

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// FunctionNames lists the functions a spec may call, sorted.
func FunctionNames() []string {
	l := &loader{}
	return slices.Sorted(maps.Keys(l.functions()))
}

// functions is the function table of a spec: go-cty's standard library
// under Terraform's names, try and can, and file, templatefile and sha256.
func (l *loader) functions() map[string]function.Function {
	fns := map[string]function.Function{
		// numbers
		"abs": stdlib.AbsoluteFunc, "ceil": stdlib.CeilFunc, "floor": stdlib.FloorFunc,
		"log": stdlib.LogFunc, "max": stdlib.MaxFunc, "min": stdlib.MinFunc,
		"parseint": stdlib.ParseIntFunc, "pow": stdlib.PowFunc, "signum": stdlib.SignumFunc,
		// strings
		"chomp": stdlib.ChompFunc, "format": stdlib.FormatFunc, "formatlist": stdlib.FormatListFunc,
		"indent": stdlib.IndentFunc, "join": stdlib.JoinFunc, "lower": stdlib.LowerFunc,
		"regex": stdlib.RegexFunc, "regexall": stdlib.RegexAllFunc, "regex_replace": stdlib.RegexReplaceFunc,
		"replace": stdlib.ReplaceFunc, "split": stdlib.SplitFunc, "strrev": stdlib.ReverseFunc,
		"strlen": stdlib.StrlenFunc, "substr": stdlib.SubstrFunc, "title": stdlib.TitleFunc,
		"trim": stdlib.TrimFunc, "trimprefix": stdlib.TrimPrefixFunc, "trimsuffix": stdlib.TrimSuffixFunc,
		"trimspace": stdlib.TrimSpaceFunc, "upper": stdlib.UpperFunc,
		// collections
		"chunklist": stdlib.ChunklistFunc, "coalesce": stdlib.CoalesceFunc, "coalescelist": stdlib.CoalesceListFunc,
		"compact": stdlib.CompactFunc, "concat": stdlib.ConcatFunc, "contains": stdlib.ContainsFunc,
		"distinct": stdlib.DistinctFunc, "element": stdlib.ElementFunc, "flatten": stdlib.FlattenFunc,
		"index": stdlib.IndexFunc, "keys": stdlib.KeysFunc, "length": stdlib.LengthFunc,
		"lookup": stdlib.LookupFunc, "merge": stdlib.MergeFunc, "range": stdlib.RangeFunc,
		"reverse": stdlib.ReverseListFunc, "setintersection": stdlib.SetIntersectionFunc,
		"setproduct": stdlib.SetProductFunc, "setsubtract": stdlib.SetSubtractFunc,
		"setunion": stdlib.SetUnionFunc, "slice": stdlib.SliceFunc, "sort": stdlib.SortFunc,
		"values": stdlib.ValuesFunc, "zipmap": stdlib.ZipmapFunc,
		// encoding and dates
		"csvdecode": stdlib.CSVDecodeFunc, "jsondecode": stdlib.JSONDecodeFunc, "jsonencode": stdlib.JSONEncodeFunc,
		"formatdate": stdlib.FormatDateFunc, "timeadd": stdlib.TimeAddFunc,
		// conversions
		"tobool": stdlib.MakeToFunc(cty.Bool), "tonumber": stdlib.MakeToFunc(cty.Number),
		"tostring": stdlib.MakeToFunc(cty.String), "tolist": stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)),
		"toset": stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType)), "tomap": stdlib.MakeToFunc(cty.Map(cty.DynamicPseudoType)),
		// errors
		"try": tryfunc.TryFunc, "can": tryfunc.CanFunc,
		// hashing and files
		"sha256": sha256Func,
		"file":   l.fileFunc(),
	}
	withoutTemplate := make(map[string]function.Function, len(fns))
	for n, f := range fns {
		withoutTemplate[n] = f
	}
	fns["templatefile"] = l.templateFileFunc(withoutTemplate)
	return fns
}

var sha256Func = function.New(&function.Spec{
	Description: "The SHA-256 hash of a string, in lower-case hexadecimal.",
	Params:      []function.Parameter{{Name: "str", Type: cty.String}},
	Type:        function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		sum := sha256.Sum256([]byte(args[0].AsString()))
		return cty.StringVal(hex.EncodeToString(sum[:])), nil
	},
})

// fileFunc reads a UTF-8 file inside the spec directory.
func (l *loader) fileFunc() function.Function {
	return function.New(&function.Spec{
		Description: "The contents of a file in the spec directory, as a string.",
		Params:      []function.Parameter{{Name: "path", Type: cty.String, AllowMarked: true}},
		Type:        function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			pathVal, marks := args[0].Unmark()
			src, err := l.readSpecFile(pathVal.AsString(), len(marks) > 0)
			if err != nil {
				return cty.DynamicVal, function.NewArgError(0, err)
			}
			if !utf8.Valid(src) {
				return cty.DynamicVal, function.NewArgErrorf(0, "the file %s is not UTF-8 text. Convert it to UTF-8, or refer to it by path instead", shown(pathVal.AsString(), len(marks) > 0))
			}
			return cty.StringVal(string(src)).WithMarks(marks), nil
		},
	})
}

// templateFileFunc renders a template file of the spec directory with the
// given variables.
func (l *loader) templateFileFunc(fns map[string]function.Function) function.Function {
	return function.New(&function.Spec{
		Description: "Renders a template file of the spec directory with the given variables.",
		Params: []function.Parameter{
			{Name: "path", Type: cty.String, AllowMarked: true},
			{Name: "vars", Type: cty.DynamicPseudoType, AllowMarked: true},
		},
		Type: function.StaticReturnType(cty.DynamicPseudoType),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			pathVal, marks := args[0].Unmark()
			sensitivePath := len(marks) > 0
			path := pathVal.AsString()
			src, err := l.readSpecFile(path, sensitivePath)
			if err != nil {
				return cty.DynamicVal, function.NewArgError(0, err)
			}
			varsVal, varsMarks := args[1].Unmark()
			if varsVal.IsNull() || !(varsVal.Type().IsObjectType() || varsVal.Type().IsMapType()) {
				return cty.DynamicVal, function.NewArgErrorf(1, "vars must be an object, as in { name = \"value\" }")
			}
			vars := map[string]cty.Value{}
			for it := varsVal.ElementIterator(); it.Next(); {
				k, v := it.Element()
				vars[k.AsString()] = v.WithMarks(varsMarks)
			}
			if d := checkNesting(src, path, templateSyntax); d != nil {
				return cty.DynamicVal, function.NewArgErrorf(0, "the template %s nests more than %d levels deep (line %d). Write it with fewer levels", shown(path, sensitivePath), MaxNesting, d.Subject.Start.Line)
			}
			expr, diags := hclsyntax.ParseTemplate(src, path, hcl.InitialPos)
			if diags.HasErrors() {
				return cty.DynamicVal, function.NewArgErrorf(0, "the template %s has a syntax error: %s. Fix the template", shown(path, sensitivePath), diagsText(diags))
			}
			for _, tr := range expr.Variables() {
				if _, ok := vars[tr.RootName()]; !ok {
					return cty.DynamicVal, function.NewArgErrorf(1, "the template %s refers to %q, which vars does not hold. Add %s to vars", shown(path, sensitivePath), tr.RootName(), tr.RootName())
				}
			}
			val, diags := expr.Value(&hcl.EvalContext{Variables: vars, Functions: fns})
			if diags.HasErrors() {
				return cty.DynamicVal, function.NewArgErrorf(0, "rendering the template %s failed: %s. Fix the template", shown(path, sensitivePath), diagsText(diags))
			}
			return val.WithMarks(marks), nil
		},
	})
}

func diagsText(diags hcl.Diagnostics) string {
	var parts []string
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		s := d.Summary
		if d.Subject != nil {
			s = fmt.Sprintf("line %d: %s", d.Subject.Start.Line, s)
		}
		if d.Detail != "" {
			s += "; " + strings.TrimSuffix(d.Detail, ".")
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// maxSpecFileSize is the largest file file and templatefile read.
const maxSpecFileSize = 16 << 20

// readSpecFile reads a file by a path relative to the spec directory. It
// refuses absolute paths, paths that climb out with "..", and symbolic
// links that lead outside the directory.
func (l *loader) readSpecFile(path string, sensitive bool) ([]byte, error) {
	if problem := localPathProblem(path); problem != "" {
		return nil, fmt.Errorf("the path %s %s", shown(path, sensitive), problem)
	}
	if l.root == nil {
		return nil, fmt.Errorf("no spec directory to read %s from", shown(path, sensitive))
	}
	name := filepath.Clean(filepath.FromSlash(path))
	st, err := l.root.Stat(name)
	if err == nil && !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file. Name a file", shown(path, sensitive))
	}
	if err == nil && st.Size() > maxSpecFileSize {
		return nil, fmt.Errorf("%s is %d bytes, over the %d bytes a spec may read. Use a smaller file", shown(path, sensitive), st.Size(), maxSpecFileSize)
	}
	var src []byte
	if err == nil {
		src, err = l.root.ReadFile(name)
	}
	switch {
	case err == nil:
		return src, nil
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("there is no file %s in the spec directory. Check the path: it is relative to the spec directory", shown(path, sensitive))
	case strings.Contains(err.Error(), "escapes"):
		return nil, fmt.Errorf("the path %s leads outside the spec directory through a symbolic link, which is refused. Copy the file into the spec directory", shown(path, sensitive))
	}
	return nil, fmt.Errorf("reading %s: %v. Check the file's permissions", shown(path, sensitive), err)
}

// localPathProblem says why path may not name a file of the spec
// directory, or "" when it may.
func localPathProblem(path string) string {
	switch {
	case path == "":
		return "is empty. Give a path relative to the spec directory"
	case filepath.IsAbs(path) || strings.HasPrefix(path, "/") || strings.HasPrefix(path, `\`):
		return "is absolute, which is refused. Use a path relative to the spec directory"
	case !filepath.IsLocal(filepath.FromSlash(path)):
		return "leaves the spec directory, which is refused. Use a path inside the spec directory"
	}
	return ""
}
