using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace PrivateSigstore.Log.Storage.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class InitialLogSchema : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "checkpoints",
                columns: table => new
                {
                    log_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    size = table.Column<long>(type: "bigint", nullable: false),
                    root_hash = table.Column<byte[]>(type: "bytea", nullable: false),
                    note = table.Column<string>(type: "text", nullable: false),
                    timestamp_ms = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_checkpoints", x => new { x.log_id, x.size });
                });

            migrationBuilder.CreateTable(
                name: "entry_segments",
                columns: table => new
                {
                    log_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    start_index = table.Column<long>(type: "bigint", nullable: false),
                    entry_count = table.Column<int>(type: "integer", nullable: false),
                    timestamp_ms = table.Column<long>(type: "bigint", nullable: false),
                    data = table.Column<byte[]>(type: "bytea", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_entry_segments", x => new { x.log_id, x.start_index });
                });

            migrationBuilder.CreateTable(
                name: "log_state",
                columns: table => new
                {
                    log_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    size = table.Column<long>(type: "bigint", nullable: false),
                    root_hash = table.Column<byte[]>(type: "bytea", nullable: false),
                    compact_range = table.Column<byte[]>(type: "bytea", nullable: false),
                    checkpoint = table.Column<string>(type: "text", nullable: false),
                    timestamp_ms = table.Column<long>(type: "bigint", nullable: false),
                    frozen = table.Column<bool>(type: "boolean", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_log_state", x => x.log_id);
                });

            migrationBuilder.CreateTable(
                name: "tiles",
                columns: table => new
                {
                    log_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    level = table.Column<int>(type: "integer", nullable: false),
                    tile_index = table.Column<long>(type: "bigint", nullable: false),
                    hashes = table.Column<byte[]>(type: "bytea", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_tiles", x => new { x.log_id, x.level, x.tile_index });
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "checkpoints");

            migrationBuilder.DropTable(
                name: "entry_segments");

            migrationBuilder.DropTable(
                name: "log_state");

            migrationBuilder.DropTable(
                name: "tiles");
        }
    }
}
