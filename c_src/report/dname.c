#include "report/dname.h"

static unsigned char lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

struct slice dname_trim(struct slice s)
{
    if (s.n > 1 && s.p[s.n - 1] == '.')
        s.n--;
    return s;
}

int dname_glob(struct slice glob, struct slice name)
{
    size_t g = 0, n = 0, star = (size_t)-1, mark = 0;
    glob = dname_trim(glob);
    name = dname_trim(name);
    while (n < name.n) {
        if (g < glob.n && glob.p[g] == '*') {
            star = g++;
            mark = n;
        } else if (g < glob.n && lower((unsigned char)glob.p[g]) == lower((unsigned char)name.p[n])) {
            g++;
            n++;
        } else if (star != (size_t)-1) {
            /* let the last '*' swallow one more byte and retry */
            g = star + 1;
            n = ++mark;
        } else {
            return 0;
        }
    }
    while (g < glob.n && glob.p[g] == '*')
        g++;
    return g == glob.n;
}

struct slice dname_url_host(struct slice u)
{
    size_t i = 0, end;
    if (u.n == 0)
        return u;  /* absent or empty: no offset into a NULL pointer below */
    /* scheme "xxx://" */
    for (size_t k = 0; k + 2 < u.n && k < 16; k++) {
        if (u.p[k] == ':' && u.p[k + 1] == '/' && u.p[k + 2] == '/') {
            i = k + 3;
            break;
        }
        if (u.p[k] == '/' || u.p[k] == '.')
            break;
    }
    end = i;
    while (end < u.n && u.p[end] != '/' && u.p[end] != '?' && u.p[end] != '#')
        end++;
    /* userinfo */
    for (size_t k = end; k > i; k--)
        if (u.p[k - 1] == '@') {
            i = k;
            break;
        }
    if (i < end && u.p[i] == '[') {
        size_t k = i + 1;
        while (k < end && u.p[k] != ']')
            k++;
        return slice_of(u.p + i + 1, k - i - 1);
    }
    size_t k = i;
    while (k < end && u.p[k] != ':')
        k++;
    return dname_trim(slice_of(u.p + i, k - i));
}

int dname_in_domain(struct slice name, struct slice domain)
{
    name = dname_trim(name);
    domain = dname_trim(domain);
    if (domain.n == 0 || name.n < domain.n)
        return 0;
    size_t off = name.n - domain.n;
    if (off > 0 && name.p[off - 1] != '.')
        return 0;
    for (size_t i = 0; i < domain.n; i++)
        if (lower((unsigned char)name.p[off + i]) != lower((unsigned char)domain.p[i]))
            return 0;
    return 1;
}

size_t dname_lower(struct slice s, char *out, size_t n)
{
    size_t m = s.n < n ? s.n : n;
    for (size_t i = 0; i < m; i++)
        out[i] = (char)lower((unsigned char)s.p[i]);
    return m;
}
