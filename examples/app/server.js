// A stand-in for the real application: it only needs to keep running so that an operator can
// `docker exec` into its container and run ./migrate-tool there.
const http = require('node:http');

const server = http.createServer((req, res) => {
  res.writeHead(req.url === '/health' ? 200 : 404, { 'content-type': 'text/plain' });
  res.end(req.url === '/health' ? 'ok\n' : 'not found\n');
});
server.listen(Number(process.env.PORT ?? 3000), () => {
  console.log(`example-app listening on port ${server.address().port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
