/**
 * The valid scenario the loader tests edit line by line: A, B normal only; C-G
 * (ids 8-12) delegates and normal nodes; C ignores D, E and G as leader. Line
 * numbers are part of the fixture (tests expect errors at them).
 *
 * @module
 */

/** The scenario's lines, named `name` (line 1). */
export function baseLines(name = "Base"): string[] {
  return [
    `name: ${name}`, //                               line 1
    "scene:", //                                      line 2
    "  params:", //                                   line 3
    "    round_timeout_sec: 3", //                    line 4
    "nodes:", //                                      line 5
    "  6: { name: A, is_delegate: false, is_normal: true }", // 6
    "  7: { name: B, is_delegate: false, is_normal: true }", // 7
    "  8:", //                                        line 8
    "    name: C", //                                 line 9
    "    is_delegate: true", //                       line 10
    "    is_normal: true", //                         line 11
    "    leader_evil:", //                            line 12
    "      follower_ignore: [9, 10, 12]", //          line 13
    "  9: { name: D, is_delegate: true, is_normal: true }", // 14
    "  10: { name: E, is_delegate: true, is_normal: true }", // 15
    "  11: { name: F, is_delegate: true, is_normal: true }", // 16
    "  12: { name: G, is_delegate: true, is_normal: true }", // 17
  ];
}

/** The scenario named `name` with line `n` (1-based) replaced by `lines`, as text. */
export function withLineOf(name: string, n: number, ...lines: string[]): string {
  const all = baseLines(name);
  all.splice(n - 1, 1, ...lines);
  return all.join("\n") + "\n";
}
