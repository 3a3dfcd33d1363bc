import { Box, Text } from 'ink';
import type { StyledLine } from '../styled-line.js';
import { useTheme, type Theme } from '../theme.js';

function colourOf(tone: StyledLine['tone'], theme: Theme): string | undefined {
  switch (tone) {
    case 'accent':
    case 'title':
      return theme.accent;
    case 'good':
      return theme.good;
    case 'warn':
      return theme.warn;
    case 'bad':
      return theme.bad;
    default:
      return undefined;
  }
}

/** A scrolled window over precomputed lines: only `height` lines are ever rendered. */
export function LinesPane({ lines, top, height }: { lines: readonly StyledLine[]; top: number; height: number }) {
  const theme = useTheme();
  const shown = lines.slice(top, top + height);
  return (
    <Box flexDirection="column" height={height}>
      {shown.map((l, i) => (
        <Text key={top + i} wrap="truncate-end" color={colourOf(l.tone, theme)} bold={l.tone === 'title'} dimColor={l.tone === 'dim' && theme.dim}>
          {l.text === '' ? ' ' : l.text}
        </Text>
      ))}
    </Box>
  );
}
