package apps

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/gatehouse/gatehouse/internal/failure"
)

// DetectedForm is what DetectForm proposes for a form_fill application,
// with what an administrator should know before using it.
type DetectedForm struct {
	FormFill FormFillSettings `json:"form_fill"`
	Warnings []string         `json:"warnings"`
}

// MaxLoginPage bounds the login page DetectForm reads.
const MaxLoginPage = 1 << 20

// perVisitRE names hidden fields that usually change on every visit (CSRF
// tokens, ASP.NET view state): a stored value would be refused.
var perVisitRE = regexp.MustCompile(`(?i)csrf|xsrf|token|authenticity|nonce|__viewstate|__eventvalidation|requestverification`)

var userFieldRE = regexp.MustCompile(`(?i)user|login|email|mail|account|name|uid|id$`)

var errNoLoginForm = failure.New(failure.Invalid, "APP.0062", "login_url", "The page at login_url has no form with a named password field.")

// DetectForm reads a login page and proposes the form_fill settings: the
// first form with a password field, its action (resolved against the
// page), method, the user-name field (the last text, e-mail or tel field
// before the password, else one whose name looks like a user name), and
// its fixed hidden fields. The page is untrusted input: it is parsed with
// an HTML5 parser, nothing in it is fetched or run.
func DetectForm(page []byte, pageURL *url.URL) (*DetectedForm, error) {
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		return nil, errNoLoginForm
	}
	base := pageURL
	var forms []*html.Node
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.DataAtom {
			case atom.Base:
				if h, ok := attr(n, "href"); ok {
					if u, err := pageURL.Parse(h); err == nil && base == pageURL {
						base = u
					}
				}
			case atom.Form:
				forms = append(forms, n)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	for _, f := range forms {
		if out, ok := formSettings(f, pageURL, base); ok {
			return out, nil
		}
	}
	return nil, errNoLoginForm
}

// formSettings proposes settings for one form, if it has a named password
// field.
func formSettings(form *html.Node, pageURL, base *url.URL) (*DetectedForm, bool) {
	var inputs []*html.Node
	var collect func(n *html.Node)
	collect = func(n *html.Node) {
		if n.Type == html.ElementNode && (n.DataAtom == atom.Input || n.DataAtom == atom.Button) {
			inputs = append(inputs, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.ElementNode && c.DataAtom == atom.Form {
				continue // a nested form (invalid HTML) is its own
			}
			collect(c)
		}
	}
	collect(form)
	pw := -1
	passwords := 0
	for i, in := range inputs {
		if inputType(in) == "password" {
			passwords++
			if name, _ := attr(in, "name"); pw < 0 && name != "" {
				pw = i
			}
		}
	}
	if pw < 0 {
		return nil, false
	}
	out := &DetectedForm{FormFill: DefaultFormFillSettings(), Warnings: []string{}}
	ff := &out.FormFill
	ff.LoginURL = pageURL.String()
	ff.PasswordField, _ = attr(inputs[pw], "name")
	if passwords > 1 {
		out.Warnings = append(out.Warnings, "The form has more than one password field (a sign-up or password-change form?); the first named one was chosen.")
	}
	ff.Method = "GET" // the HTML default
	if m, _ := attr(form, "method"); strings.EqualFold(strings.TrimSpace(m), "post") {
		ff.Method = "POST"
	}
	action, _ := attr(form, "action")
	target, err := base.Parse(strings.TrimSpace(action))
	if strings.TrimSpace(action) == "" {
		target, err = pageURL, nil // an empty action posts to the page itself
	}
	if err != nil || (target.Scheme != "http" && target.Scheme != "https") || target.Host == "" {
		out.Warnings = append(out.Warnings, "The form's action is not an http(s) URL (a script submits it?); set action_url by hand.")
		target = pageURL
	}
	if target.User != nil {
		out.Warnings = append(out.Warnings, "The form's action carries a user name or password in its URL; they were left out of action_url.")
		target.User = nil
	}
	target.Fragment = ""
	if len(target.String()) > 2048 {
		out.Warnings = append(out.Warnings, "The form's action is longer than 2048 characters; set action_url by hand.")
		target = pageURL
	}
	ff.ActionURL = target.String()
	if ff.Method == "GET" {
		out.Warnings = append(out.Warnings, "The form is sent with GET: the password would travel in the URL. Check whether the application also accepts POST.")
	}
	ff.UsernameField = userField(inputs, pw)
	if ff.UsernameField == "" {
		out.Warnings = append(out.Warnings, "No user-name field was found; username_field keeps its default.")
		ff.UsernameField = "username"
	}
	hiddenFields(inputs, ff, out)
	if !fieldNameRE.MatchString(ff.PasswordField) || !fieldNameRE.MatchString(ff.UsernameField) {
		out.Warnings = append(out.Warnings, "A field name has characters Gatehouse does not accept in form_fill; rename it by hand.")
	}
	return out, true
}

// userField is the last named text, e-mail or tel field before the
// password, else the first named one whose name looks like a user name.
func userField(inputs []*html.Node, pw int) string {
	for i := pw - 1; i >= 0; i-- {
		switch inputType(inputs[i]) {
		case "text", "email", "tel", "":
			if name, _ := attr(inputs[i], "name"); name != "" && inputs[i].DataAtom == atom.Input {
				return name
			}
		}
	}
	for _, in := range inputs {
		name, _ := attr(in, "name")
		if in.DataAtom == atom.Input && inputType(in) != "password" && inputType(in) != "hidden" && userFieldRE.MatchString(name) {
			return name
		}
	}
	return ""
}

// hiddenFields copies the form's fixed hidden fields (and a named submit
// button's value) into extra_fields, leaving out per-visit tokens.
func hiddenFields(inputs []*html.Node, ff *FormFillSettings, out *DetectedForm) {
	submits := 0
	for _, in := range inputs {
		name, _ := attr(in, "name")
		value, _ := attr(in, "value")
		typ := inputType(in)
		if in.DataAtom == atom.Button && typ == "" {
			typ = "submit" // a button's default type
		}
		if name == "" || name == ff.UsernameField || name == ff.PasswordField {
			continue
		}
		switch {
		case typ == "hidden" && perVisitRE.MatchString(name):
			out.Warnings = append(out.Warnings, fmt.Sprintf("The hidden field %q looks like a per-visit token: it was left out, and the application may refuse a form without it.", truncate(name, 64)))
		case typ == "hidden", typ == "submit" && submits == 0:
			if typ == "submit" {
				submits++
			}
			if len(ff.ExtraFields) >= 20 {
				out.Warnings = append(out.Warnings, fmt.Sprintf("The field %q was left out: extra_fields holds at most 20 fields.", truncate(name, 64)))
				continue
			}
			if !fieldNameRE.MatchString(name) || len(value) > 1024 {
				out.Warnings = append(out.Warnings, fmt.Sprintf("The field %q was left out (its name or value is too long or unusual).", truncate(name, 64)))
				continue
			}
			ff.ExtraFields[name] = value
		}
	}
}

func inputType(n *html.Node) string {
	t, _ := attr(n, "type")
	return strings.ToLower(strings.TrimSpace(t))
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

// DetectFormAt reads the login page at loginURL and proposes form_fill
// settings for it (a management call: the administrator checks and
// registers them).
func (s *Applications) DetectFormAt(ctx context.Context, loginURL string) (*DetectedForm, error) {
	u, err := url.Parse(loginURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || len(loginURL) > 2048 {
		return nil, failure.New(failure.Invalid, "APP.0033", "login_url", "The login_url must be an absolute http(s) URL without user info.")
	}
	if s.Fetch == nil {
		return nil, failure.New(failure.Invalid, "APP.0062", "login_url", "This server does not fetch pages.")
	}
	page, err := s.Fetch(ctx, loginURL, MaxLoginPage)
	if err != nil {
		return nil, failure.Invalidf("APP.0062", "login_url", "The login_url could not be read: %s.", fetchError(err))
	}
	u.Fragment = ""
	return DetectForm(page, u)
}
