/** Front matter the tag parser cannot read: the writer's declared tags would be silently ignored. */
import { FrontMatterError, parseFrontMatter } from '../../text/frontmatter';
import type { Check } from '../check';

export const frontMatterCheck: Check = {
  id: 'plausibility/front-matter',
  description: 'Front matter that cannot be read, so its tags are ignored.',
  defaultSeverity: 'error',
  enabledByDefault: true,
  setting: 'plausibility.rules.frontMatter',
  run: async (doc) => {
    if (!doc.markdown) return [];
    try {
      parseFrontMatter(doc.text);
      return [];
    } catch (e) {
      if (!(e instanceof FrontMatterError)) throw e;
      // The finding covers the offending line (the message names it too).
      let start = 0;
      for (let l = 1; l < e.line && start >= 0; l++) start = doc.text.indexOf('\n', start) + 1 || -1;
      if (start < 0) start = 0;
      const nl = doc.text.indexOf('\n', start);
      const end = nl < 0 ? doc.text.length : nl;
      return [
        {
          rule: 'plausibility/front-matter',
          start,
          end: Math.max(end, start),
          text: doc.text.slice(start, end),
          message: `The front matter cannot be read, so its tags are ignored: ${e.message}`,
          severity: 'error',
          suggestions: [],
          data: {},
        },
      ];
    }
  },
};
