// Verifies a LiveKit access token with LiveKit's own server SDK (TokenVerifier) and prints
// its claims as JSON: what tests/e2e/voice_test.py compares with the voice/token response.
// Usage: node verify_token.mjs API_KEY API_SECRET JWT   (exit 1 when the SDK rejects it)
import { TokenVerifier } from 'livekit-server-sdk';

const [apiKey, apiSecret, jwt] = process.argv.slice(2);
if (!apiKey || !apiSecret || !jwt) {
  console.error('usage: node verify_token.mjs API_KEY API_SECRET JWT');
  process.exit(2);
}
try {
  const claims = await new TokenVerifier(apiKey, apiSecret).verify(jwt);
  console.log(JSON.stringify(claims));
} catch (error) {
  console.error(`rejected: ${error.message}`);
  process.exit(1);
}
