package mgmt

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"sort"
	"strings"

	"github.com/gatehouse/gatehouse/internal/failure"
)

var (
	errContentType = failure.New(failure.Invalid, "COMMON.0003", "", "The Content-Type must be application/json.")
	errNotObject   = failure.New(failure.Invalid, "COMMON.0002", "", "The request body must be a JSON object.")
)

// decodeBody reads a JSON object into dst. A missing Content-Type is taken
// as JSON; any other non-JSON type is refused. A field of the wrong type is
// named in the error.
func decodeBody(r *http.Request, dst any, required bool) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return errContentType
		}
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err // *http.MaxBytesError is mapped by writeError
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		if required {
			return errNotObject
		}
		return nil
	}
	if body[0] != '{' {
		return errNotObject
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(dst); err != nil {
		return fieldError(body, dst, err)
	}
	if dec.More() {
		return errNotObject
	}
	return nil
}

// fieldError finds which top-level field made decoding fail, by decoding
// the fields one at a time into a fresh value of dst's type.
func fieldError(body []byte, dst any, cause error) error {
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) != nil {
		return failure.New(failure.Invalid, "COMMON.0002", "", "The request body is not valid JSON.")
	}
	t := reflect.TypeOf(dst).Elem()
	var ute *json.UnmarshalTypeError
	if errors.As(cause, &ute) && ute.Field != "" {
		return typeError(t, strings.Split(ute.Field, ".")[0])
	}
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	sort.Strings(names) // name the same field every time
	for _, name := range names {
		one, _ := json.Marshal(map[string]json.RawMessage{name: fields[name]})
		if json.Unmarshal(one, reflect.New(t).Interface()) != nil {
			return typeError(t, name)
		}
	}
	return failure.New(failure.Invalid, "COMMON.0002", "", "The request body does not match the expected fields.")
}

// typeError names the field and, from the struct, the type it wants.
func typeError(t reflect.Type, field string) error {
	want := "of another type"
	if t.Kind() == reflect.Struct {
		for i := range t.NumField() {
			f := t.Field(i)
			if strings.Split(f.Tag.Get("json"), ",")[0] == field {
				want = describe(f.Type)
			}
		}
	}
	if len(field) > 64 {
		field = field[:64]
	}
	return failure.Invalidf("COMMON.0002", field, "The %s must be %s.", field, want)
}

// describe says in words what JSON a Go field type takes; opt wrappers
// are described by the value they hold (their field V).
func describe(t reflect.Type) string {
	if t.Kind() == reflect.Struct {
		if v, ok := t.FieldByName("V"); ok {
			if strings.Contains(t.Name(), "OrgRelation") || strings.Contains(v.Type.String(), "OrgRelation") {
				return "an array of {orgCode, relationType} objects, relationType 0 or 1"
			}
			return describe(v.Type)
		}
		return "an object"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "a whole number"
	case reflect.Map:
		return "an object"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.String {
			return "an array of strings"
		}
		if t.Elem().Kind() == reflect.Uint8 { // json.RawMessage
			return "a JSON value"
		}
		return "an array of objects"
	}
	return "of another type"
}
