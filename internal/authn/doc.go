// Package authn signs people in: it checks a password against the user
// named by user name, e-mail or mobile number, and keeps SSO sessions (a
// random cookie value, stored only as its hash, with idle and absolute
// timeouts). MFA, lockout and access policies come with the security work.
package authn
