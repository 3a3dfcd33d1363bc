import { Box, Text } from 'ink';
import { HELP_KEYS } from '../key-bindings.js';
import { useTheme } from '../theme.js';

export function HelpOverlay({ height }: { height: number }) {
  const theme = useTheme();
  const keyW = Math.max(...HELP_KEYS.map(([k]) => k.length)) + 2;
  return (
    <Box flexDirection="column" height={height} borderStyle="round" paddingX={1}>
      <Text bold color={theme.accent}>
        Keys (Esc or ? to close)
      </Text>
      {HELP_KEYS.map(([k, what]) => (
        <Text key={k} wrap="truncate-end">
          <Text bold>{k.padEnd(keyW)}</Text>
          {what}
        </Text>
      ))}
    </Box>
  );
}
