using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace PrivateSigstore.Log.Storage.Migrations.CtEntries.Postgres
{
    /// <inheritdoc />
    public partial class InitialCtEntries : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "ct_entries",
                columns: table => new
                {
                    log_id = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    identity_hash = table.Column<byte[]>(type: "bytea", maxLength: 32, nullable: false),
                    timestamp_ms = table.Column<long>(type: "bigint", nullable: false),
                    extra_data = table.Column<byte[]>(type: "bytea", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ct_entries", x => new { x.log_id, x.identity_hash });
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ct_entries");
        }
    }
}
