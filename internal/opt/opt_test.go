package opt

import (
	"encoding/json"
	"testing"
)

func TestDecode(t *testing.T) {
	var in struct {
		A, B, C, D String
		E, F, G    Bool
		H          Value[[]int]
		I          Value[[]int]
	}
	err := json.Unmarshal([]byte(`{"A":"x","B":null,"C":13800001111,"E":true,"F":"false","H":[1,2],"I":null}`), &in)
	if err != nil {
		t.Fatal(err)
	}
	if in.A != Some("x") || in.B != Some("") || in.C != Some("13800001111") || in.D.Set {
		t.Fatalf("strings: %+v %+v %+v %+v", in.A, in.B, in.C, in.D)
	}
	if in.E != (Bool{true, true}) || in.F != (Bool{true, false}) || in.G.Set {
		t.Fatalf("bools: %+v %+v %+v", in.E, in.F, in.G)
	}
	if !in.H.Set || len(in.H.V) != 2 || !in.I.Set || !in.I.Null {
		t.Fatalf("values: %+v %+v", in.H, in.I)
	}
	for _, bad := range []string{`{"A":true}`, `{"A":{}}`, `{"A":[1]}`, `{"E":1}`, `{"E":"yes"}`, `{"H":"x"}`} {
		if err := json.Unmarshal([]byte(bad), &in); err == nil {
			t.Fatalf("%s decoded", bad)
		}
	}
}
