/**
 * Container image references, checked against the grammar of the distribution reference package (the one Docker,
 * containerd and registries parse references with: github.com/distribution/reference, reference.go's "Grammar" and
 * regexp.go):
 *
 *     reference        := name [ ":" tag ] [ "@" digest ]
 *     name             := [domain "/"] path-component ["/" path-component]*
 *     domain           := host [":" port-number]          host: domain-name | "[" IPv6 "]"
 *     domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
 *     path-component   := [a-z0-9]+ (separator [a-z0-9]+)*   separator: "." | "_" | "__" | "-"+
 *     tag              := [\w][\w.-]{0,127}
 *
 * The first component is a domain when it contains '.' or ':', is `localhost`, or has a capital (normalize.go,
 * splitDockerDomain); everything after it is the repository path, which is lowercase, at most 255 characters. A
 * reference has at most one tag. Digests are held to the OCI image spec's registered algorithms (descriptor.md,
 * "Digests"): `sha256:` and 64 lowercase hex characters, or `sha512:` and 128, stricter than the grammar's any
 * algorithm with at least 32 hex digits.
 */

/** The rule every image key states in the configuration references. */
export const IMAGE_RULE =
    "a reference by the distribution grammar (<registry>/<repository>:<tag>[@<digest>], the repository lowercase, one tag), pinned to a version tag other than latest, or to a digest (@sha256: and 64 lowercase hex characters)";

/** A reference split into its parts. */
export interface ImageReference {
    /** The registry host (and port), or "" for a reference without one (Docker Hub). */
    readonly domain: string;
    /** The repository path, without the domain. */
    readonly path: string;
    readonly tag: string | undefined;
    readonly digest: string | undefined;
}

const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^\w[\w.-]{0,127}$/;
const DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;
/** A bare 64-hex identifier is an image id, never a repository name (normalize.go refuses it as a name). */
const IDENTIFIER = /^[a-f0-9]{64}$/;
const MAX_PATH = 255;

/** The reference split into its parts, or why it is not a reference the grammar accepts. */
export function parseImageReference(image: string): ImageReference | { readonly problem: string } {
    const fail = (problem: string) => ({ problem });
    if (image === "") return fail("is empty");
    if (/\s/.test(image)) return fail(`contains whitespace (${JSON.stringify(image)})`);
    const at = image.indexOf("@");
    const digest = at < 0 ? undefined : image.slice(at + 1);
    if (digest !== undefined && !DIGEST.test(digest))
        return fail(`has a malformed digest (got ${JSON.stringify(digest)}); a digest is sha256: and 64 lowercase hex characters`);
    const nameAndTag = at < 0 ? image : image.slice(0, at);
    if (nameAndTag === "") return fail(`names no repository before the digest (got ${JSON.stringify(image)})`);
    // The tag is what follows a ':' after the last '/' (a ':' before it is a registry port).
    const lastSlash = nameAndTag.lastIndexOf("/");
    const colon = nameAndTag.indexOf(":", lastSlash + 1);
    const name = colon < 0 ? nameAndTag : nameAndTag.slice(0, colon);
    const tag = colon < 0 ? undefined : nameAndTag.slice(colon + 1);
    if (tag !== undefined && tag.includes(":"))
        return fail(`has more than one tag (got ${JSON.stringify(image)}); a reference is <registry>/<repository>:<tag>[@<digest>]`);
    if (tag !== undefined && !TAG.test(tag))
        return fail(`has a malformed tag ${JSON.stringify(tag)}; a tag is letters, digits, '_', '.' and '-', at most 128, not starting with '.' or '-'`);
    if (IDENTIFIER.test(name)) return fail(`is an image id, not a repository (got ${JSON.stringify(image)})`);
    const slash = name.indexOf("/");
    const first = slash < 0 ? "" : name.slice(0, slash);
    const isDomain = slash >= 0 && (first === "localhost" || /[.:]/.test(first) || first !== first.toLowerCase());
    const domain = isDomain ? first : "";
    const path = isDomain ? name.slice(slash + 1) : name;
    if (isDomain && !DOMAIN.test(domain)) return fail(`names the registry ${JSON.stringify(domain)}, which is not a host name (got ${JSON.stringify(image)})`);
    if (path === "") return fail(`names no repository (got ${JSON.stringify(image)})`);
    const components = path.split("/");
    if (components.some((c) => !PATH_COMPONENT.test(c))) {
        if (components.every((c) => PATH_COMPONENT.test(c.toLowerCase())))
            return fail(`names the repository ${JSON.stringify(path)} with capitals; repository names are lowercase (got ${JSON.stringify(image)})`);
        return fail(
            `names the repository ${JSON.stringify(path)}, which is not a repository name: lowercase letters and digits, separated by '.', '_', '__' or '-', in '/'-separated components (got ${JSON.stringify(image)})`,
        );
    }
    if (path.length > MAX_PATH) return fail(`names a repository of ${path.length} characters; at most ${MAX_PATH} are allowed`);
    return { domain, path, tag, digest };
}

/**
 * An image reference pinned to a tag other than `latest`, or to a digest (a digest pins whatever tag it follows).
 * Undefined when the reference is usable.
 */
export function imageProblem(image: unknown): string | undefined {
    if (image === undefined || image === null || image === "") return "is not set";
    if (typeof image !== "string") return `is not a string (got ${JSON.stringify(image)})`;
    const ref = parseImageReference(image);
    if ("problem" in ref) return ref.problem;
    if (ref.digest !== undefined) return undefined;
    if (ref.tag === undefined) return `is not pinned (got ${JSON.stringify(image)}); add a tag or a digest`;
    if (ref.tag === "latest") return `uses the mutable tag latest (got ${JSON.stringify(image)}); pin a version or a digest`;
    return undefined;
}
