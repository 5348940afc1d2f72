import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * Dumps what the running JDK does with letter case, as the oracle for migrator/names.py.
 * "dump": every code point whose Character.toUpperCase/toLowerCase (int form, and char form for the
 * BMP) is not itself. "ignorecase": for each hex code point read from stdin, every code point d with
 * String.equalsIgnoreCase(c, d). "strings": for each stdin line "A B" (UTF-16 units in hex, joined by
 * '.'), whether String.equalsIgnoreCase(A, B).
 */
public class CaseMap {
    public static void main(String[] args) throws Exception {
        var out = new StringBuilder();
        if (args[0].equals("dump")) {
            for (int cp = 0; cp <= Character.MAX_CODE_POINT; cp++) {
                int u = Character.toUpperCase(cp), l = Character.toLowerCase(cp);
                int uc = cp, lc = cp;
                if (cp <= 0xFFFF) {
                    uc = Character.toUpperCase((char) cp);
                    lc = Character.toLowerCase((char) cp);
                }
                if (u != cp || l != cp || uc != cp || lc != cp) {
                    out.append(String.format("%X %X %X %X %X%n", cp, u, l, uc, lc));
                }
            }
        } else {
            var in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String line;
            if (args[0].equals("ignorecase")) {
                var all = new String[Character.MAX_CODE_POINT + 1];
                for (int d = 0; d <= Character.MAX_CODE_POINT; d++) {
                    all[d] = new String(Character.toChars(d));
                }
                while ((line = in.readLine()) != null) {
                    int cp = Integer.parseInt(line.trim(), 16);
                    out.append(String.format("%X", cp));
                    for (int d = 0; d <= Character.MAX_CODE_POINT; d++) {
                        if (d != cp && all[cp].equalsIgnoreCase(all[d])) {
                            out.append(String.format(" %X", d));
                        }
                    }
                    out.append('\n');
                }
            } else {
                while ((line = in.readLine()) != null) {
                    String[] pair = line.trim().split(" ");
                    out.append(line.trim()).append(' ')
                            .append(units(pair[0]).equalsIgnoreCase(units(pair[1]))).append('\n');
                }
            }
        }
        System.out.print(out);
    }

    private static String units(String hex) {
        var sb = new StringBuilder();
        for (String u : hex.split("\\.")) {
            if (!u.isEmpty()) {
                sb.append((char) Integer.parseInt(u, 16));
            }
        }
        return sb.toString();
    }
}
